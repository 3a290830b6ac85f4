"""`ducky ingest`: load CSV / JSON / Parquet files or JSON APIs into the data directory, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ducky.cli.context import get_settings


def _source_option(table: str) -> Any:
    flag = "--" + table.replace("_", "-")
    return click.option(flag, table, default=None, metavar="PATH|URL", help=f"Source of {table}.")


@click.command()
@_source_option("users")
@_source_option("products")
@_source_option("events")
@_source_option("search_logs")
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML/TOML file: table -> canonical column -> source column.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["warn", "fail", "never"]),
    default="fail",
    show_default=True,
    help="Check status that stops the merge (quarantine is written anyway).",
)
@click.option("--daily", is_flag=True, help="Print daily sales and new/active users afterwards.")
@click.option("--to-postgres", is_flag=True, help="Then load the data directory into PostgreSQL.")
@click.option(
    "--dsn", default=None, envvar="DUCKY_PG_DSN", help="PostgreSQL DSN for --to-postgres."
)
@click.option(
    "--from",
    "from_url",
    default=None,
    metavar="postgresql://...",
    help="Snapshot users, products and events from this PostgreSQL database (--mapping: its "
    "schema/table/column/value names).",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="With --from: only events at or after the watermark the last run kept.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ingest(
    users: str | None,
    products: str | None,
    events: str | None,
    search_logs: str | None,
    mapping: Path | None,
    fail_on: str,
    daily: bool,
    to_postgres: bool,
    dsn: str | None,
    from_url: str | None,
    incremental: bool,
    as_json: bool,
) -> None:
    """Ingest files or JSON APIs into the data directory, with data-quality checks."""
    import sys

    from ducky.cli.output import dumps, emit
    from ducky.errors import DuckyError
    from ducky.ingest.pipeline import run_ingest
    from ducky.ingest.report import print_report
    from ducky.ingest.sources import http_options_from_env
    from ducky.tabular import rows_of

    settings = get_settings()
    as_json = as_json or settings.json
    given = {"users": users, "products": products, "events": events, "search_logs": search_logs}
    sources = {k: v for k, v in given.items() if v}
    extra: dict[str, Any] = {}
    snap_doc: dict[str, Any] | None = None
    if from_url is not None or incremental:
        from ducky.ingest.pg_source import snapshot_sources

        sources, extra, snap_doc = snapshot_sources(
            from_url, mapping, incremental, settings.data, sources
        )
        mapping = None  # applied by the source's views (ducky.engines.postgres.source)
    result = run_ingest(
        settings.data,
        sources,
        manifest_extra=extra,
        # the source's own id types (its columns, or the mapping's id_types): a text id column
        # whose values all look like integers stays text in the copy
        id_types=(snap_doc or {}).get("id_types") or None,
        mapping=mapping,
        fail_on=fail_on,
        http=http_options_from_env(),
        progress=not as_json and sys.stderr.isatty(),
    )
    doc = result.to_dict()
    if snap_doc is not None:
        doc["pg_source"] = snap_doc
    if to_postgres and result.tripped == []:
        from ducky.ingest.postgres import load_to_postgres

        doc["postgres"] = load_to_postgres(settings.datadir, dsn)
    summaries = {}
    if daily and not result.tripped:
        from ducky.ingest.daily import SUMMARY_TABLES, daily_summaries

        d = settings.datadir
        missing = [t for t in SUMMARY_TABLES if not d.has_table(t)]
        if missing or not d.manifest_path.is_file():
            click.echo(f"note: no daily summaries: {d.path} has no {', '.join(missing)}", err=True)
        else:
            summaries = daily_summaries(d)
            doc["daily"] = {k: rows_of(v) for k, v in summaries.items()}
    if as_json:
        sys.stdout.write(dumps(doc) + "\n")
    else:
        print_report(result)
        for name, table in summaries.items():
            emit(table, "table", title=name.replace("_", " "))
        if "postgres" in doc:
            click.echo(f"postgres: {doc['postgres']}")
    if result.tripped:
        first = result.tripped[0]
        names = ", ".join(f"{c.table}.{c.check}" for c in result.tripped[:4])
        more = f" and {len(result.tripped) - 4} more" if len(result.tripped) > 4 else ""
        q = sum(a.quarantined for a in result.accounts)
        raise DuckyError(
            f"ingest stopped by --fail-on {fail_on}: {names}{more} "
            f"({first.table}.{first.check}: {first.pass_rate:.1%} passed, needs "
            f"{first.threshold:.0%}); nothing merged, {q} row(s) quarantined in "
            f"{result.datadir}/quarantine (`ducky quarantine` lists them; --fail-on never "
            "merges the rows that passed)"
        )
