"""Daily summaries of a data directory, from canonical SQL files run on any engine.

The SQL lives in ingest/sql/*.sql (DuckDB dialect, `:name` placeholders) and is rendered for the
engine's dialect with `ducky.sql.transpile`, the same machinery as the canonical metrics.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir

SUMMARY_TABLES = ("users", "products", "events")
SUMMARIES = {
    "daily_sales": ("users", "products", "events"),
    "daily_users": ("users", "events"),
}


def summary_sql(name: str, dialect: str = "duckdb", **params: Any) -> str:
    """The SQL text of a daily summary for `dialect`, with its parameters bound."""
    from ducky.sql import transpile

    if name not in SUMMARIES:
        raise UserError(f"unknown summary {name!r}: choose one of {', '.join(SUMMARIES)}")
    text = resources.files("ducky.ingest").joinpath("sql", f"{name}.sql").read_text()
    values = {"date_from": None, "date_to": None, **params}
    return transpile(text, read="duckdb", write=dialect, params=values)


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
            sql = summary_sql(name, eng.dialect, date_from=date_from, date_to=date_to)
            out[name] = eng.run(sql)
    return out
