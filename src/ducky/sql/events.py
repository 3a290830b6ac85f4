"""A shop's own event names: whether a name is one, and whether the data holds it.

Ingest keeps event names it cannot map onto the four canonical types as they came
(`wishlist_add`); the metrics (`--event`) and the audience spec filter on them like any other.
A name the data does not hold is a typo far more often than a question whose answer is
"nobody", and for a `not_performed` audience it would select everyone: so it is one error
that lists the names the data does hold and the nearest one. The check runs where the query
runs, on any engine, with portable SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ducky.errors import UserError
from ducky.schema import EVENT_TYPES


def is_custom_event(event_type: str | None) -> bool:
    """A shop's own event name (not any, not one of the four canonical types)."""
    return event_type is not None and event_type not in EVENT_TYPES


# Portable SQL (DuckDB dialect, transpiled to each engine's): the event names in the data.
_EVENT_NAMES_SQL = (
    "SELECT event_type, COUNT(*) AS n FROM events GROUP BY event_type ORDER BY n DESC, event_type"
)


def missing_event_message(name: str, present: dict[str, int]) -> str:
    """One line for an event name the data does not hold: the names it does, the nearest."""
    import difflib

    listed = ", ".join(f"{k} ({n:,})" for k, n in list(present.items())[:8])
    more = f" and {len(present) - 8} more" if len(present) > 8 else ""
    pool = list(dict.fromkeys([*present, *EVENT_TYPES]))
    near = difflib.get_close_matches(name.lower(), [p.lower() for p in pool], n=1, cutoff=0.6)
    hint = ""
    if near:
        hint = f"; did you mean {next(p for p in pool if p.lower() == near[0])!r}?"
    held = f"the data's event names: {listed}{more}" if present else "the data has no events"
    return f"no event named {name!r} in the data ({held}){hint}"


def require_event_in_data(
    eng: Any, event_type: str | None, run: Callable[[str], Any] | None = None
) -> None:
    """Raise a UserError when a shop's own event name is not in the engine's events table.
    `run` executes the probe (default: the engine's own run; the audience service passes its
    slot-and-lock runner, so a shared connection is never used by two threads at once)."""
    if not is_custom_event(event_type):
        return
    from ducky.sql import transpile

    assert event_type is not None
    execute = run or eng.run
    probe = "SELECT 1 AS hit FROM events WHERE event_type = :name LIMIT 1"
    write = eng.sql_dialect()
    if execute(transpile(probe, write=write, params={"name": event_type})).num_rows:
        return
    rows = execute(transpile(_EVENT_NAMES_SQL, write=write)).to_pylist()
    present = {str(r["event_type"]): int(r["n"]) for r in rows if r["event_type"] is not None}
    raise UserError(missing_event_message(event_type, present))
