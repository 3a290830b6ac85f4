"""Generation parameters: defaults, validation (one-line UserErrors) and the period they cover."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ducky.errors import UserError

# Defaults are per month so `--months 3` stays proportionate to `--months 12`:
# 12 months -> 1.5M events, 30,000 users (50 events per user over the year), 5,000 products.
EVENTS_PER_MONTH = 125_000
EVENTS_PER_USER = 50
DEFAULT_PRODUCTS = 5_000
MAX_MONTHS = 120
MIN_PRODUCTS = 20


def parse_start(value: str | dt.date) -> dt.date:
    """`YYYY-MM-DD` or `YYYY-MM` (the first of that month)."""
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for candidate in (text, text + "-01"):
        try:
            return dt.date.fromisoformat(candidate)
        except ValueError:
            continue
    raise UserError(f"--start: {value!r} is not a date (YYYY-MM-DD or YYYY-MM)")


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole calendar months (clamped to the month's last day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class GenParams:
    """Everything that determines the generated tables (same params -> same bytes)."""

    months: int
    start: dt.date
    users: int
    events: int
    products: int
    seed: int
    # Opt-in shapes (issue 15); off by default so the benchmark data keeps its shape and bytes.
    orders: bool = False  # purchases carry order_id, quantity, amount, currency
    second_currency: str | None = None  # a share of users pay in this currency (needs orders)
    string_ids: bool = False  # user/product ids as text ("u000123", "p0042"), not integers

    @property
    def end(self) -> dt.date:
        """First day after the period: events lie in [start, end)."""
        return add_months(self.start, self.months)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for opt in ("orders", "second_currency", "string_ids"):
            if not d[opt]:
                del d[opt]  # default data: the manifest reads exactly as before
        d["start"] = self.start.isoformat()
        d["end"] = self.end.isoformat()
        return d


def resolve(
    *,
    months: int = 12,
    start: str | dt.date = "2025-01-01",
    users: int | None = None,
    events: int | None = None,
    products: int | None = None,
    seed: int = 42,
    scale: float | None = None,
    orders: bool = False,
    second_currency: str | None = None,
    string_ids: bool = False,
) -> GenParams:
    """Fill in defaults and check every value; raise UserError naming the bad option."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise UserError(f"--months must be a whole number from 1 to {MAX_MONTHS}, not {months!r}")
    day = parse_start(start)
    if day.year < 1971 or add_months(day, months).year > 9000:
        raise UserError(f"--start: {day.isoformat()} is outside the supported years (1971-9000)")
    if scale is not None and not (isinstance(scale, int | float) and 0 < scale <= 10_000):
        raise UserError(f"--scale must be a number above 0 (at most 10000), not {scale!r}")
    factor = 1.0 if scale is None else float(scale)
    for name, value in (("--users", users), ("--events", events), ("--products", products)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise UserError(f"{name} must be a whole number, not {value!r}")
    if users is not None and users < 1:
        raise UserError(f"--users must be at least 1, not {users}")
    if events is not None and events < 1:
        raise UserError(f"--events must be at least 1, not {events}")
    if products is not None and products < MIN_PRODUCTS:
        raise UserError(f"--products must be at least {MIN_PRODUCTS}, not {products}")
    if events is None:
        events = (
            users * EVENTS_PER_USER
            if users is not None
            else round(EVENTS_PER_MONTH * months * factor)
        )
    if users is None:
        users = max(1, events // EVENTS_PER_USER)
    if products is None:
        products = DEFAULT_PRODUCTS
    if not 0 <= seed < 2**63:
        raise UserError(f"--seed must be a non-negative whole number, not {seed}")
    if second_currency is not None:
        from ducky.schema import DEFAULT_CURRENCY

        if not orders:
            raise UserError("--second-currency needs --orders (currencies belong to orders)")
        code = str(second_currency).strip().upper()
        if len(code) != 3 or not code.isalpha() or code == DEFAULT_CURRENCY:
            raise UserError(
                f"--second-currency must be a 3-letter ISO 4217 code other than "
                f"{DEFAULT_CURRENCY}, not {second_currency!r}"
            )
        second_currency = code
    return GenParams(
        months=months,
        start=day,
        users=users,
        events=events,
        products=products,
        seed=seed,
        orders=bool(orders),
        second_currency=second_currency,
        string_ids=bool(string_ids),
    )
