"""One place that opens the in-memory DuckDB used for vectorized parsing, typing and checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


def connect() -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(":memory:")
    # Timestamps are naive UTC in the dataset contract: parse offsets relative to UTC.
    con.execute("SET TimeZone = 'UTC'")
    return con


class Fetched:
    """A statement's rows, fetched at once: DuckDB refuses new work while a result is open."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


def q(con: duckdb.DuckDBPyConnection, sql: str) -> Fetched:
    return Fetched(con.execute(sql).fetchall())
