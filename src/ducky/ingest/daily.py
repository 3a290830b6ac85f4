"""Daily summaries of a data directory, from canonical SQL files run on any engine.

The summaries are entries of the query catalog (ducky.sql.catalog, kind "summary"; SQL in
sql/<name>/optimized.sql, DuckDB dialect, `:name` placeholders), rendered for the engine with
its own sqlglot dialect, the same path as the canonical metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ducky.errors import UserError
from ducky.sql.catalog import CATALOG
from ducky.sql.catalog import SUMMARIES as CATALOG_SUMMARIES

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir

SUMMARY_TABLES = ("users", "products", "events")
SUMMARIES: dict[str, tuple[str, ...]] = {n: CATALOG[n].tables for n in CATALOG_SUMMARIES}


def summary_sql(name: str, dialect: str = "duckdb", write: Any = None, **params: Any) -> str:
    """The SQL text of a daily summary for `dialect` (written with `write`, an engine's sqlglot
    dialect, default `dialect`), with its parameters bound."""
    from ducky.sql import render

    if name not in SUMMARIES:
        raise UserError(f"unknown summary {name!r}: choose one of {', '.join(SUMMARIES)}")
    return render(name, dialect, params=params, write=write)


def daily_summaries(
    datadir: DataDir,
    engine: str = "duckdb",
    date_from: str | None = None,
    date_to: str | None = None,
    engine_options: dict[str, Any] | None = None,
) -> dict[str, pa.Table]:
    """{summary name: rows} computed on `engine` from the data directory."""
    from ducky.engines import open_engine

    datadir.validate(SUMMARY_TABLES)
    out: dict[str, pa.Table] = {}
    with open_engine(engine, datadir, **(engine_options or {})) as eng:
        eng.load()
        for name in SUMMARIES:
            sql = summary_sql(
                name, eng.dialect, eng.sql_dialect(), date_from=date_from, date_to=date_to
            )
            out[name] = eng.run(sql)
    return out
