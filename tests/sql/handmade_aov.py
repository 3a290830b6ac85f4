"""Hand-made purchases for avg_order_value rounding: negative revenue and .5-cent boundaries.

AOV = revenue / orders rounded half away from zero to cents (METRICS.md; Python's
ROUND_HALF_UP). Every purchase has no product (category "unknown"), so each currency is its own
group; amounts are given, so revenue is their sum. Dated inside every revenue parameter set.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

TS = dt.datetime(2025, 1, 10, 12, 0)


def _p(user: int, order: str | None, amount: str, currency: str) -> dict[str, Any]:
    return {
        "user_id": user,
        "event_type": "purchased",
        "product_id": None,
        "timestamp": TS,
        "order_id": order,
        "quantity": None,
        "amount": Decimal(amount),
        "currency": currency,
    }


EVENTS: list[dict[str, Any]] = [
    # CHF: 0.01 + 0.02 over 2 order-less purchases = 0.015 -> 0.02 (positive .5 boundary)
    _p(1, None, "0.01", "CHF"),
    _p(2, None, "0.02", "CHF"),
    # GBP: -0.04 over 3 orders = -0.0133 -> -0.01 (truncating `//` gave 0.00)
    _p(1, "g1", "-0.02", "GBP"),
    _p(2, "g2", "-0.01", "GBP"),
    _p(3, "g3", "-0.01", "GBP"),
    # JPY: -0.01 - 0.02 over 2 orders = -0.015 -> -0.02 (negative .5 boundary; was -0.01)
    _p(1, "j1", "-0.01", "JPY"),
    _p(2, "j2", "-0.02", "JPY"),
    # USD: one order of -10.00 -> -10.00 (the reported bug: -9.99)
    _p(4, "u1", "-10.00", "USD"),
    # EUR: 5.00 and -10.00 in two orders = -2.50 (was -2.49)
    _p(5, "e1", "5.00", "EUR"),
    _p(5, "e2", "-10.00", "EUR"),
]


def _row(cur: str, revenue: str, n: int, orders: int, buyers: int, aov: str) -> dict[str, Any]:
    return {
        "category": "unknown",
        "currency": cur,
        "revenue": Decimal(revenue),
        "purchases": n,
        "orders": orders,
        "buyers": buyers,
        "avg_order_value": Decimal(aov),
    }


# Ordered by revenue DESC, category, currency.
EXPECTED: list[dict[str, Any]] = [
    _row("CHF", "0.03", 2, 2, 2, "0.02"),
    _row("JPY", "-0.03", 2, 2, 2, "-0.02"),
    _row("GBP", "-0.04", 3, 3, 3, "-0.01"),
    _row("EUR", "-5.00", 2, 2, 1, "-2.50"),
    _row("USD", "-10.00", 1, 1, 1, "-10.00"),
]
