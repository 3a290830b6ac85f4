"""`from`/`to` date ranges with one meaning everywhere (CLI and Python API).

Both ends are inclusive; YYYY-MM means the whole month, so from 2025-03 to 2025-03 is March.
The SQL takes half-open [start, end) dates; `date_range` converts.
"""

from __future__ import annotations

import datetime as dt

from ducky.errors import UserError

RANGE_HELP = "both ends inclusive; YYYY-MM means the whole month"


def parse_day(value: str | dt.date, name: str, end: bool) -> dt.date:
    """A YYYY-MM-DD day, or for YYYY-MM the month's first day (`end`: its last day)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    try:
        if len(text) == 7:
            first = dt.date.fromisoformat(text + "-01")
            if not end:
                return first
            nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return nxt - dt.timedelta(days=1)
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    # Anything else was once cut to its first 10 characters: `2025-01-16T23:59` silently meant
    # the whole of 2025-01-16 and `2025-01-16xyz` passed. A time of day is said apart, since
    # these ranges are whole days.
    try:
        timed = ":" in text and bool(dt.datetime.fromisoformat(text))
    except ValueError:
        timed = False
    if not timed:
        raise UserError(f"{name}: {value!r} is not a date (YYYY-MM-DD or YYYY-MM)")
    raise UserError(
        f"{name}: {value!r} has a time of day, but this range is in whole days "
        "(YYYY-MM-DD or YYYY-MM)"
    )


def date_range(
    date_from: str | dt.date | None,
    date_to: str | dt.date | None,
    names: tuple[str, str] = ("--from", "--to"),
) -> tuple[str | None, str | None]:
    """The inclusive range as the half-open [start, end) ISO dates the SQL takes.

    `to` 2025-03 ends after 2025-03-31 (end = 2025-04-01); 2025-03-15 after that day. A reversed
    range is an error naming `names` (the CLI's flags, or the Python API's argument names).
    """
    start = parse_day(date_from, names[0], end=False) if date_from else None
    last = parse_day(date_to, names[1], end=True) if date_to else None
    if start is not None and last is not None and start > last:
        raise UserError(f"{names[0]} {date_from} is after {names[1]} {date_to}")
    end = (last + dt.timedelta(days=1)).isoformat() if last is not None else None
    return (start.isoformat() if start else None), end
