"""Hand-made purchases with orders, quantities, discounts and two currencies (issue 15).

Every trap of the revenue definition (METRICS.md) has a row: a quantity without an amount
(quantity x price), a discounted amount below the catalog price, an order of several lines,
order-less purchases (each its own order), a purchase without a product (revenue from its
amount, category "unknown"), a purchase of a product missing from the catalog without an
amount (counted, adds 0), a non-purchase event carrying an amount (ignored), a missing currency
(the default, USD) and EUR purchases that must never be summed with USD ones. Users and
products are tests/handmade.py's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

T = dt.datetime
EUR, USD = "EUR", "USD"


def _p(
    user: int,
    product: int | None,
    ts: dt.datetime,
    order: str | None = None,
    quantity: int | None = None,
    amount: str | None = None,
    currency: str | None = None,
    kind: str = "purchased",
) -> dict[str, Any]:
    return {
        "user_id": user,
        "event_type": kind,
        "product_id": product,
        "timestamp": ts,
        "order_id": order,
        "quantity": quantity,
        "amount": None if amount is None else Decimal(amount),
        "currency": currency,
    }


EVENTS: list[dict[str, Any]] = [
    _p(1, 10, T(2025, 1, 3, 10, 0), "A1", quantity=2, currency=USD),  # 2 x 100.00
    _p(1, 20, T(2025, 1, 3, 10, 0), "A1", quantity=1, amount="18.00", currency=USD),  # 20.25 -10%
    _p(1, 10, T(2025, 1, 3, 9, 0), kind="viewed", amount="999.00"),  # not a purchase: ignored
    _p(2, 10, T(2025, 1, 7, 8, 0), "B1", quantity=1, amount="90.00", currency=EUR),
    _p(2, 11, T(2025, 1, 7, 8, 0), "B1", quantity=3, amount="140.00", currency=EUR),
    _p(2, 20, T(2025, 2, 20, 12, 0), "B2", quantity=2, currency=EUR),  # 2 x 20.25, outside range
    _p(3, 30, T(2025, 1, 10, 11, 0)),  # no order, no quantity, no currency: 1 x 9.99 USD
    _p(3, 30, T(2025, 1, 11, 11, 0), quantity=3),  # no order: 3 x 9.99
    _p(3, 10, T(2025, 1, 12, 15, 0), "D1", quantity=1, amount="33.32", currency=USD),
    _p(3, 10, T(2025, 1, 12, 15, 0), "D1", quantity=1, amount="33.34", currency=USD),
    _p(4, None, T(2025, 1, 20, 9, 0), "C1", amount="25.00", currency=USD),  # no product
    _p(4, 99, T(2025, 1, 21, 9, 0), "C2", quantity=2, currency=USD),  # not in catalog, no amount
    _p(4, None, T(2025, 1, 22, 9, 0), kind="login"),
]

# Worked out by hand from the rows above (the reference must agree; see test_revenue_orders).
EXPECTED: list[dict[str, Any]] = [
    # (category, currency, revenue, purchases, orders, buyers, avg_order_value)
    {"category": "electronics", "currency": USD, "revenue": Decimal("266.66"), "purchases": 3,
     "orders": 2, "buyers": 2, "avg_order_value": Decimal("133.33")},
    {"category": "electronics", "currency": EUR, "revenue": Decimal("230.00"), "purchases": 2,
     "orders": 1, "buyers": 1, "avg_order_value": Decimal("230.00")},
    {"category": "fashion", "currency": EUR, "revenue": Decimal("40.50"), "purchases": 1,
     "orders": 1, "buyers": 1, "avg_order_value": Decimal("40.50")},
    {"category": "home", "currency": USD, "revenue": Decimal("39.96"), "purchases": 2,
     "orders": 2, "buyers": 1, "avg_order_value": Decimal("19.98")},
    {"category": "unknown", "currency": USD, "revenue": Decimal("25.00"), "purchases": 2,
     "orders": 2, "buyers": 1, "avg_order_value": Decimal("12.50")},
    {"category": "fashion", "currency": USD, "revenue": Decimal("18.00"), "purchases": 1,
     "orders": 1, "buyers": 1, "avg_order_value": Decimal("18.00")},
]  # fmt: skip
