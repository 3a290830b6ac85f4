"""Small hand-made datasets with known answers, and helpers to write them as data directories.

The events are chosen to hit every trap METRICS.md lists: a cohort spanning a year end, a
signup on the last day of a month, a user with no events, events before signup, a cohort too
recent to have all 8 weeks, an empty month (no signups in 2025-02... see USERS), and a
purchase-only retention view.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

D = dt.date
T = dt.datetime

USERS: list[dict[str, Any]] = [
    # cohort 2024-12: spans the year end
    {
        "user_id": 1,
        "signup_date": D(2024, 12, 30),
        "country": "US",
        "location": "California",
        "age": 29,
        "gender": "f",
        "plan": "premium",
        "device": "mobile",
        "name": "Ada",
    },
    {
        "user_id": 2,
        "signup_date": D(2024, 12, 31),
        "country": "US",
        "location": "Texas",
        "age": 41,
        "gender": "m",
        "plan": "free",
        "device": "desktop",
        "name": "Bo",
    },
    {
        "user_id": 3,
        "signup_date": D(2024, 12, 5),
        "country": "FR",
        "location": "Ile-de-France",
        "age": 25,
        "gender": "f",
        "plan": "basic",
        "device": "mobile",
        "name": "Cy",
    },
    # cohort 2025-01
    {
        "user_id": 4,
        "signup_date": D(2025, 1, 15),
        "country": "US",
        "location": "California",
        "age": 34,
        "gender": "m",
        "plan": "basic",
        "device": "tablet",
        "name": "Di",
    },
    {
        "user_id": 5,
        "signup_date": D(2025, 1, 1),
        "country": "DE",
        "location": "Berlin",
        "age": 35,
        "gender": "f",
        "plan": "premium",
        "device": "desktop",
        "name": "Ed",
    },
    # 2025-02 has no signups (an empty month)
    # cohort 2025-03: too recent for all 8 weeks
    {
        "user_id": 6,
        "signup_date": D(2025, 3, 1),
        "country": "US",
        "location": "New York",
        "age": 22,
        "gender": "m",
        "plan": "free",
        "device": "mobile",
        "name": "Fa",
    },
]

PRODUCTS: list[dict[str, Any]] = [
    {"product_id": 10, "category": "electronics", "price": Decimal("100.00"), "name": "headphones"},
    {"product_id": 11, "category": "electronics", "price": Decimal("50.50"), "name": "charger"},
    {"product_id": 20, "category": "fashion", "price": Decimal("20.25"), "name": "t-shirt"},
    {"product_id": 30, "category": "home", "price": Decimal("9.99"), "name": "mug"},
]


def _e(user: int, kind: str, product: int | None, ts: dt.datetime) -> dict[str, Any]:
    return {"user_id": user, "event_type": kind, "product_id": product, "timestamp": ts}


EVENTS: list[dict[str, Any]] = [
    # user 1, signup Mon 2024-12-30
    _e(1, "login", None, T(2024, 12, 30, 9, 0)),  # week 0; ISO week of 2024-12-30
    _e(1, "viewed", 10, T(2024, 12, 30, 9, 5)),
    _e(1, "add-to-cart", 10, T(2024, 12, 30, 9, 6)),
    _e(1, "purchased", 10, T(2024, 12, 30, 9, 7)),
    _e(1, "viewed", 20, T(2025, 1, 6, 0, 0)),  # week 1 (day 7), Monday 00:00 UTC
    _e(1, "purchased", 20, T(2025, 1, 20, 23, 59, 59)),  # week 3 (day 21)
    # user 2, signup Tue 2024-12-31 (last day of the month)
    _e(2, "viewed", 11, T(2024, 12, 31, 23, 59)),  # week 0
    _e(2, "viewed", 11, T(2025, 1, 6, 12, 0)),  # day 6 -> still week 0
    _e(2, "purchased", 11, T(2025, 1, 7, 8, 0)),  # day 7 -> week 1
    _e(2, "login", None, T(2025, 2, 25, 10, 0)),  # day 56 -> week 8
    # user 3: no events at all
    # user 4, signup 2025-01-15, one event before signup (ignored by cohort, counted by WAU)
    _e(4, "viewed", 30, T(2025, 1, 10, 10, 0)),
    _e(4, "login", None, T(2025, 1, 15, 0, 0)),  # week 0
    _e(4, "purchased", 30, T(2025, 1, 29, 18, 0)),  # day 14 -> week 2
    _e(4, "purchased", 30, T(2025, 1, 29, 18, 30)),  # second purchase, same week
    # user 5, signup 2025-01-01
    _e(5, "viewed", 10, T(2025, 1, 1, 0, 0)),  # week 0
    _e(5, "purchased", 10, T(2025, 3, 1, 12, 0)),  # day 59 -> week 8
    # user 6, signup 2025-03-01 (too recent)
    _e(6, "login", None, T(2025, 3, 1, 8, 0)),  # week 0
    _e(6, "viewed", 20, T(2025, 3, 10, 17, 0)),  # day 9 -> week 1; last data date
]


def write_datadir(
    path: Path,
    users: list[dict[str, Any]] | None = None,
    products: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a data directory through the project's atomic writer."""
    import pyarrow as pa

    from ducky.datasets import DatasetWriter
    from ducky.schema import arrow_schema

    users = USERS if users is None else users
    products = PRODUCTS if products is None else products
    events = EVENTS if events is None else events

    def rows(table: str, data: list[dict[str, Any]]) -> pa.Table:
        schema = arrow_schema(table)
        return pa.Table.from_pylist(
            [{c: r.get(c) for c in schema.names} for r in data], schema=schema
        )

    with DatasetWriter(path, producer="tests.handmade") as w:
        w.write_table("users", rows("users", users))
        w.write_table("products", rows("products", products))
        by_month: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            by_month.setdefault(e["timestamp"].strftime("%Y-%m"), []).append(e)
        for month, evs in sorted(by_month.items()):
            w.write_partition("events", month, rows("events", evs))
    return path
