"""Maintained rollups: pre-aggregates of wau, revenue and cohort that stay equal to the baseline.

An engine keeps rollups when it says so (`Engine.supports_rollups`, `Engine.rollup_store()`);
the PostgreSQL and DuckDB stores live in their engine packages. A rollup is built from
`sql/<query>/rollup.setup[.<dialect>].sql`, recorded in a small state
table (`ducky_rollup_state`: when, how long, from which loaded data) and answered by
`sql/<query>/rollup.sql`. Where it lives and how it stays current:

- PostgreSQL (`ducky.engines.postgres.rollups`): keyed tables plus statement-level triggers on
  events (`rollup.maintain.postgres.sql`) that fold every INSERTed batch into the rollup; UPDATE,
  DELETE and TRUNCATE mark it stale; `ducky load` rebuilds existing rollups inside the load's
  own transaction.
- DuckDB (`ducky.engines.duckdb.rollups`): tables in the native database file, stale as soon as
  the data directory differs from the one they were built from (DuckDB's tables are reloaded
  from the Parquet files, so there is nothing to maintain incrementally).

Reading a missing or stale rollup never happens silently: `ensure_fresh` (in
ducky.engines.rollups, above the engines) either rebuilds it (when asked, saying so with the
time) or raises one clear line naming the command that fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ducky.errors import UserError
from ducky.sql.catalog import BOUNDS_TABLE, CATALOG, ROLLUP_QUERIES

__all__ = [
    "BOUNDS_TABLE",
    "ROLLUP_QUERIES",
    "SOURCES",
    "STATE_TABLE",
    "TABLES",
    "RollupNotReady",
    "RollupStatus",
    "check_queries",
]

STATE_TABLE = "ducky_rollup_state"

# The tables each rollup builds (its own, then shared ones) and the source tables it reads:
# both declared in the query catalog.
TABLES: dict[str, tuple[str, ...]] = {q: CATALOG[q].rollup_tables for q in ROLLUP_QUERIES}
SOURCES: dict[str, tuple[str, ...]] = {q: CATALOG[q].tables for q in ROLLUP_QUERIES}


@dataclass
class RollupStatus:
    """Where one rollup stands on one engine."""

    query: str
    engine: str
    state: str  # fresh | stale | missing
    reason: str | None = None  # why stale or missing
    built_at: str | None = None
    build_s: float | None = None
    rows: int | None = None  # rows of the rollup's first (base) table
    bytes: int | None = None  # on-disk size of its tables, where the engine tells
    size_note: str | None = None  # where it cannot: why, and the nearest size it can give
    maintained: bool = False  # kept current on INSERT (PostgreSQL triggers installed)
    tables: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "engine": self.engine,
            "state": self.state,
            "reason": self.reason,
            "built_at": self.built_at,
            "build_s": self.build_s,
            "rows": self.rows,
            "bytes": self.bytes,
            "size_note": self.size_note,
            "maintained": self.maintained,
            "tables": self.tables,
        }


class RollupNotReady(UserError):
    """A rollup asked for is missing or stale (the message names the command that fixes it)."""


def check_queries(queries: tuple[str, ...] | list[str]) -> list[str]:
    """The queries asked for (all three when none), validated."""
    out = list(dict.fromkeys(queries)) or list(ROLLUP_QUERIES)
    for q in out:
        if q not in ROLLUP_QUERIES:
            raise UserError(f"unknown rollup {q!r}: choose from {', '.join(ROLLUP_QUERIES)}")
    return out
