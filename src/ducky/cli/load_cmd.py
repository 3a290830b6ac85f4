"""`ducky load`: load a data directory into an engine's own storage (PostgreSQL, DuckDB file)."""

from __future__ import annotations

from typing import Any

import click

from ducky.cli.context import get_settings
from ducky.cli.options import engine_option


@click.command()
@engine_option()  # duckdb, as every command (issue 18: one default)
@click.option(
    "--dsn",
    default=None,
    envvar="DUCKY_PG_DSN",
    help="PostgreSQL DSN (env DUCKY_PG_DSN; default: the local server).",
)
@click.option("--table", "tables", multiple=True, help="Only this table (repeatable).")
@click.option(
    "--method",
    type=click.Choice(["binary", "adbc", "csv"]),
    default="binary",
    show_default=True,
    help="postgres: binary COPY FREEZE (numpy-encoded), ADBC ingest + VACUUM, or CSV COPY FREEZE.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option(
    "--no-vacuum",
    is_flag=True,
    help="postgres: skip VACUUM (FREEZE) after the load (autovacuum does it later).",
)
def load(
    engine: str,
    dsn: str | None,
    tables: tuple[str, ...],
    method: str,
    no_progress: bool,
    no_vacuum: bool,
) -> None:
    """Load the data directory into an engine's storage (DuckDB file; -e postgres), replacing."""
    import sys

    from ducky.cli.output import dumps
    from ducky.engines import engine_class, open_engine
    from ducky.engines.registry import engine_names
    from ducky.errors import UserError

    settings = get_settings()
    datadir = settings.datadir
    loadable = [n for n in engine_names() if _loads_natively(n)]
    if engine not in loadable:
        raise UserError(f"ducky load supports the engines {' and '.join(loadable)}, not {engine!r}")
    progress = not no_progress and not settings.json and sys.stderr.isatty()
    cls = engine_class(engine)
    eng = open_engine(engine, datadir, dsn=dsn, **cls.storage_options)
    doc = eng.load_native(
        list(tables) or None, progress=progress, method=method, vacuum=not no_vacuum
    )
    if settings.json:
        click.echo(dumps(doc))
        return
    _print(doc)


def _print(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from ducky.tables import show_rich_table

    console = Console()
    if doc.get("tables"):
        t = Table(title=f"loaded into {doc['target']} ({doc['method']})")
        for col in ("table", "rows", "seconds", "rows/s"):
            t.add_column(col, justify="left" if col == "table" else "right")
        for r in doc["tables"]:
            t.add_row(
                r["table"], f"{r['rows']:,}", f"{r['seconds']:.2f}", f"{r['rows_per_s']:,.0f}"
            )
        show_rich_table(t)  # fits 80 columns without cutting a number
    console.print(
        f"{doc['rows']:,} rows in {doc['seconds']:.2f} s ({doc['rows_per_s']:,.0f} rows/s) "
        f"into {doc['target']}"
    )
    if doc.get("vacuum_seconds"):
        console.print(f"then VACUUM (FREEZE) in {doc['vacuum_seconds']:.2f} s")
    for r in doc.get("rollups") or []:  # rebuilt inside the load's transaction
        console.print(f"rollup {r['query']} rebuilt in {r['seconds']:.2f} s")


def _loads_natively(name: str) -> bool:
    """The engine has storage of its own to load into (a broken one: no)."""
    from ducky.engines import engine_class
    from ducky.errors import DuckyError

    try:
        return engine_class(name).supports_native_load
    except DuckyError:
        return False
