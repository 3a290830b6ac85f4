"""Running canonical metric queries on any engine: the one path the CLI, cohort and report use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError
from ducky.schema import EVENT_TYPES
from ducky.sql.catalog import CATALOG

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir

# The tables each catalog query reads (declared in ducky.sql.catalog).
TABLES_NEEDED: dict[str, tuple[str, ...]] = {n: s.tables for n, s in CATALOG.items()}


def check_event_type(value: str | None) -> str | None:
    """None/'any' means every event type; anything else is a canonical event type or one of
    the aliases ingest maps onto one (`purchase`, `add_to_cart`, `view_item`...)."""
    if value is None or value == "any":
        return None
    v = value.strip().lower()
    if v in EVENT_TYPES:
        return v
    from ducky.ingest.vocab import canonical_event  # only off the common path: it costs imports

    known = canonical_event(v)
    if known in EVENT_TYPES:
        return known
    # A shop's own event names are kept by ingest and count as activity, but the metrics (and
    # their rollups, one bit per canonical type) filter on the four canonical types only.
    raise UserError(
        f"unknown event type {value!r}: choose any, {', '.join(EVENT_TYPES)} (a shop's own "
        "events count as activity under any)"
    )


def check_date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10] if len(value) == 7 + 3 else value).isoformat()
    except ValueError:
        pass
    try:  # YYYY-MM means the first of the month
        return dt.date.fromisoformat(value + "-01").isoformat()
    except ValueError:
        raise UserError(f"{name}: {value!r} is not a date (YYYY-MM-DD or YYYY-MM)") from None


def parse_engine_options(pairs: tuple[str, ...] | list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in pairs:
        if "=" not in p:
            raise UserError(f"engine option {p!r} must look like KEY=VALUE")
        k, v = p.split("=", 1)
        out[k.strip().replace("-", "_")] = v
    return out


def run_query(
    datadir: DataDir,
    query: str,
    engine: str = "duckdb",
    variant: str = "optimized",
    engine_options: dict[str, Any] | None = None,
    *,
    refresh_rollup: bool = False,
    notify: Callable[[str], None] | None = None,
    **params: Any,
) -> pa.Table:
    """Validate the data directory, open `engine`, load, run `query` and return its rows.

    The `rollup` variant reads ducky's maintained rollup, and only when it is fresh: missing or
    stale, it is rebuilt when `refresh_rollup` (and `notify` is told), else a clear error says
    which command fixes it (ducky.engines.rollups.ensure_fresh). A stale answer is never returned.
    """
    from ducky.engines import open_engine

    datadir.validate(TABLES_NEEDED.get(query, ("events",)))
    eng = open_engine(engine, datadir, **(engine_options or {}))
    if variant == "rollup":
        from ducky.engines.rollups import store_for

        store_for(eng)  # an engine without maintained rollups fails here, before it loads
    with eng:
        eng.load()
        if variant == "rollup":
            from ducky.engines.rollups import ensure_fresh

            ensure_fresh(eng, query, refresh=refresh_rollup, notify=notify)
        return eng.query(query, variant, **params)
