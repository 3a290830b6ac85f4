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

Reading a missing or stale rollup never happens silently: `ensure_fresh` either rebuilds it
(when asked, saying so with the time) or raises one clear line naming the command that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ducky.engines.base import RollupStatus, RollupStore
from ducky.errors import UserError
from ducky.sql.catalog import BOUNDS_TABLE, CATALOG, ROLLUP_QUERIES

if TYPE_CHECKING:
    from ducky.engines.base import Engine

__all__ = [
    "BOUNDS_TABLE",
    "ROLLUP_QUERIES",
    "SOURCES",
    "STATE_TABLE",
    "TABLES",
    "RollupNotReady",
    "RollupStatus",
    "RollupStore",
    "check_queries",
    "engine_flag",
    "ensure_fresh",
    "store_for",
]

STATE_TABLE = "ducky_rollup_state"

# The tables each rollup builds (its own, then shared ones) and the source tables it reads:
# both declared in the query catalog.
TABLES: dict[str, tuple[str, ...]] = {q: CATALOG[q].rollup_tables for q in ROLLUP_QUERIES}
SOURCES: dict[str, tuple[str, ...]] = {q: CATALOG[q].tables for q in ROLLUP_QUERIES}


class RollupNotReady(UserError):
    """A rollup asked for is missing or stale (the message names the command that fixes it)."""


def check_queries(queries: tuple[str, ...] | list[str]) -> list[str]:
    """The queries asked for (all three when none), validated."""
    out = list(dict.fromkeys(queries)) or list(ROLLUP_QUERIES)
    for q in out:
        if q not in ROLLUP_QUERIES:
            raise UserError(f"unknown rollup {q!r}: choose from {', '.join(ROLLUP_QUERIES)}")
    return out


def store_for(engine: Engine) -> RollupStore:
    """The rollup store of an open engine; a clear UserError where rollups are not kept."""
    if not engine.supports_rollups:
        raise UserError(
            f"rollups are maintained on postgres and duckdb (native file), not on {engine.name}; "
            f"`ducky bench -e {engine.name} -V rollup` times a rollup built for the run"
        )
    return engine.rollup_store()


def engine_flag(engine: Engine) -> str:
    """The `-e ...` (and `-o mode=native`) a user types to reach this engine's rollups."""
    return engine.engine_flags()


def ensure_fresh(
    engine: Engine,
    query: str,
    refresh: bool = False,
    notify: Callable[[str], None] | None = None,
) -> RollupStatus:
    """Make sure `query`'s rollup on `engine` is fresh before it is read.

    Missing or stale: with `refresh`, rebuild it and tell `notify` how long it took; without,
    raise RollupNotReady naming the command to run. Why not rebuild by default: a build reads
    every event (seconds to minutes) and, on PostgreSQL, installs triggers that every later
    INSERT into events pays for; a read command should not do that unasked.
    """
    import time

    check_queries([query])
    store = store_for(engine)
    st = store.status(query, detail=False)
    if st.state == "fresh":
        return st
    if not refresh:
        flag = f"-e {engine.name}"  # `ducky rollup` opens the engine's own storage itself
        fix = "build" if st.state == "missing" else "refresh"
        raise RollupNotReady(
            f"the {query} rollup on {store.engine_label} is {st.state} ({st.reason}): run "
            f"`ducky rollup {fix} {query} {flag}`, or add --refresh-rollup"
        )
    t0 = time.perf_counter()
    store.build(query)
    secs = time.perf_counter() - t0
    if notify is not None:
        verb = "built" if st.state == "missing" else "refreshed"
        notify(f"{verb} the {query} rollup on {store.engine_label} in {secs:.2f} s ({st.reason})")
    return store.status(query, detail=False)
