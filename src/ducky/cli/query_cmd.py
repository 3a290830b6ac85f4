"""`ducky query`: run a canonical metric and print it with its definition."""

from __future__ import annotations

import click

from ducky.cli.context import get_settings
from ducky.cli.options import (
    date_range,
    engine_option,
    engine_options,
    format_option,
    range_options,
)
from ducky.sql.catalog import QUERIES


@click.command()
@click.argument("name", type=click.Choice(list(QUERIES)))
@engine_option()
# -V is --variant on query and bench alike (the root's version flag is --version only).
@click.option("--variant", "-V", default="optimized", show_default=True, help="SQL variant to run.")
@click.option(
    "--event",
    "event_type",
    default=None,
    help="wau/cohort: only this event type (viewed, add-to-cart, purchased, login, an alias "
    "such as purchase, or a shop's own event name).",
)
@range_options("revenue")
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(0, 52), help="cohort.")
@engine_options
@click.option(
    "--refresh-rollup",
    is_flag=True,
    help="--variant rollup: build or refresh a missing or stale rollup first (else an error).",
)
@format_option()
def query(
    name: str,
    engine: str,
    variant: str,
    event_type: str | None,
    date_from: str | None,
    date_to: str | None,
    weeks: int,
    engine_opts: tuple[str, ...],
    refresh_rollup: bool,
    fmt: str | None,
) -> None:
    """Run a canonical metric (wau, revenue, cohort) and print it with its definition."""
    from ducky.cli.output import emit
    from ducky.engines.registry import engine_that_runs
    from ducky.errors import UserError
    from ducky.metrics import data_notes, definition
    from ducky.queries import check_event_type, parse_engine_options, run_query
    from ducky.sql.catalog import CATALOG, spec

    def takers(param: str) -> str:
        return " and ".join(q for q in QUERIES if param in CATALOG[q].parameters)

    settings = get_settings()
    takes = spec(name).parameters
    params: dict[str, object] = {}
    if "event_type" in takes:
        params["event_type"] = check_event_type(event_type)
    elif event_type:
        raise UserError(f"--event applies to {takers('event_type')} only")
    if "date_from" in takes:
        # Inclusive ends, whole months for YYYY-MM; the SQL takes the half-open [start, end).
        params["date_from"], params["date_to"] = date_range(date_from, date_to)
    elif date_from or date_to:
        raise UserError(f"--from/--to apply to {takers('date_from')} only")
    if "weeks" in takes:
        params["weeks"] = weeks
    if refresh_rollup and variant != "rollup":
        raise UserError("--refresh-rollup applies to --variant rollup only")
    # The printer reads plain rows: on DuckDB the answer comes from fetchall(), so a query
    # call never imports pyarrow/numpy (~0.1 s); other engines still answer in Arrow.
    from ducky.engines.duckdb.engine import rows_results

    with rows_results():
        table = run_query(
            settings.datadir,
            name,
            engine,
            variant,
            parse_engine_options(engine_opts),
            refresh_rollup=refresh_rollup,
            notify=lambda msg: click.echo(msg, err=True),
            **params,
        )
    if table.num_rows == 0 and (date_from or date_to):
        _range_outside_data(settings.datadir, params)
    fmt = fmt or ("json" if settings.json else "table")
    # Name the engine that ran: a postgresql:// source runs on PostgreSQL in place whatever
    # the default -e says; and the source, a directory or the URL without its password.
    engine = engine_that_runs(engine, settings.datadir)
    meta = {
        "query": name,
        "engine": engine,
        "source": _source(settings.datadir),
        "variant": variant,
        "parameters": params,
    }
    text = definition(name) + data_notes(settings.datadir, name)
    emit(table, fmt, title=f"{name} ({engine}, {variant})", definition=text, meta=meta)


def _range_outside_data(datadir: object, params: dict[str, object]) -> None:
    """An empty result for a range that misses the data entirely is a mistake, as in `cohort`
    and `segment`: one line naming the data's range, exit 2 (an empty range inside the data
    stays an empty table with a note on stderr)."""
    from ducky.errors import UserError

    try:
        dr = datadir.manifest().date_range  # type: ignore[attr-defined]
    except Exception:  # no manifest (a database source): nothing to compare with
        return
    first, last = (dr.get("first_event") or "")[:10], (dr.get("last_event") or "")[:10]
    if not first or not last:
        return
    start, end = params.get("date_from"), params.get("date_to")  # half-open [start, end)
    if (end is not None and str(end) <= first) or (start is not None and str(start) > last):
        raise UserError(f"no data in the chosen --from/--to range: the data covers {first}..{last}")


def _source(datadir: object) -> str:
    """A directory's path, or a postgresql:// URL with its password redacted (as audience)."""
    return str(getattr(datadir, "description", None) or getattr(datadir, "path", datadir))
