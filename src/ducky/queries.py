"""Running canonical metric queries on any engine: the one path the CLI, cohort and report use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError
from ducky.schema import EVENT_TYPES
from ducky.sql.catalog import CATALOG
from ducky.sql.events import require_event_in_data

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir

# The tables each catalog query reads (declared in ducky.sql.catalog).
TABLES_NEEDED: dict[str, tuple[str, ...]] = {n: s.tables for n, s in CATALOG.items()}


def check_event_type(value: str | None) -> str | None:
    """None/'any' means every event type; a canonical event type or one of the aliases ingest
    maps onto one (`purchase`, `add_to_cart`, `view_item`...) is that type; any other name is a
    shop's own event, which ingest keeps as it came. Whether the data holds such a name is
    only known where the query runs: `require_event_in_data` checks it there, so a typo is a
    clear error rather than an empty answer."""
    if value is None or value == "any":
        return None
    v = value.strip()
    if v.lower() in EVENT_TYPES:
        return v.lower()
    if not v:
        raise UserError(f"empty event type: choose any, {', '.join(EVENT_TYPES)} or an event name")
    # One vocabulary with the audience spec (ingest's aliases and its own: `order`, `signin`).
    from ducky.audience.spec import normalize_event  # only off the common path: it costs imports

    try:
        return normalize_event(v)
    except ValueError as e:
        raise UserError(f"event type {value!r}: {e}") from None


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

    if variant == "rollup":
        # Before the data is validated or an engine opens: a rollup cannot filter on a shop's
        # own event name (the same refusal as ducky.sql.render, which every engine goes through).
        from ducky.sql import check_rollup_event

        check_rollup_event(variant, params.get("event_type"))
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
        require_event_in_data(eng, params.get("event_type"))
        return eng.query(query, variant, **params)
