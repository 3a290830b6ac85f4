"""Rollups on an open engine: the store it keeps (`store_for`), the flag that reaches it, and
`ensure_fresh`, the check every rollup read goes through. Generic over `Engine.rollup_store()`
(as engines/plans.py is over plans); the per-engine stores live in engines/<name>/rollups.py and
the declarations they share (tables, state table, `RollupStatus`) in ducky/rollups.py, below
the engines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ducky.errors import UserError
from ducky.rollups import RollupNotReady, RollupStatus, check_queries

if TYPE_CHECKING:
    from ducky.engines.base import Engine, RollupStore

__all__ = ["engine_flag", "ensure_fresh", "store_for"]


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
