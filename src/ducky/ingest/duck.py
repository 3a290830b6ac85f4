"""One place that opens the in-memory DuckDB used for vectorized parsing, typing and checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


_BASE: duckdb.DuckDBPyConnection | None = None


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh connection (own temp tables and registrations) to one in-memory database.

    Opening a database and loading ICU costs a few hundred milliseconds; a cursor of a shared
    one costs next to nothing, and an ingest opens several.
    """
    import duckdb

    global _BASE
    if _BASE is None:
        _BASE = duckdb.connect(":memory:")
    con = _BASE.cursor()
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
