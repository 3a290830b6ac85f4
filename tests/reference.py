"""Independent pure-Python reference implementations of the three metrics (METRICS.md).

Written from the definitions with plain loops and `datetime`, sharing no code with the SQL,
so agreement between the two is evidence rather than tautology.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def wau(events: list[dict[str, Any]], event_type: str | None = None) -> list[dict[str, Any]]:
    if not events:
        return []
    first = min(e["timestamp"] for e in events).date()
    last = max(e["timestamp"] for e in events).date()
    weeks: dict[dt.date, set[int]] = defaultdict(set)
    for e in events:
        if event_type is None or e["event_type"] == event_type:
            weeks[_monday(e["timestamp"].date())].add(e["user_id"])
    return [
        {
            "week_start": w,
            "active_users": len(u),
            "complete": w >= first and w + dt.timedelta(days=6) <= last,
        }
        for w, u in sorted(weeks.items())
    ]


def revenue(
    events: list[dict[str, Any]],
    products: list[dict[str, Any]],
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Revenue per (category, currency) as METRICS.md defines it (see revenue_orders)."""
    return revenue_orders(events, products, date_from, date_to)


def revenue_price_only(
    events: list[dict[str, Any]],
    products: list[dict[str, Any]],
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The definition before issue 15 (SUM of catalog price per category): data without order
    columns must give the same revenue, purchases and buyers under the new one."""
    price = {p["product_id"]: (p["category"], p["price"]) for p in products}
    agg: dict[str, dict[str, Any]] = {}
    for e in events:
        if e["event_type"] != "purchased" or e["product_id"] not in price:
            continue
        if date_from is not None and e["timestamp"] < date_from:
            continue
        if date_to is not None and e["timestamp"] >= date_to:
            continue
        cat, p = price[e["product_id"]]
        a = agg.setdefault(cat, {"revenue": Decimal("0"), "purchases": 0, "buyers": set()})
        a["revenue"] += p
        a["purchases"] += 1
        a["buyers"].add(e["user_id"])
    out = [
        {
            "category": c,
            "revenue": a["revenue"],
            "purchases": a["purchases"],
            "buyers": len(a["buyers"]),
        }
        for c, a in agg.items()
    ]
    return sorted(out, key=lambda r: (-r["revenue"], r["category"]))


def cohort(
    users: list[dict[str, Any]],
    events: list[dict[str, Any]],
    weeks: int = 8,
    event_type: str | None = None,
) -> list[dict[str, Any]]:
    last_day = max(e["timestamp"] for e in events).date()
    signup = {u["user_id"]: u["signup_date"] for u in users}
    members: dict[dt.date, list[int]] = defaultdict(list)
    for u in users:
        members[u["signup_date"].replace(day=1)].append(u["user_id"])
    active: dict[tuple[dt.date, int], set[int]] = defaultdict(set)
    for e in events:
        uid = e["user_id"]
        if uid not in signup or (event_type is not None and e["event_type"] != event_type):
            continue
        days = (e["timestamp"].date() - signup[uid]).days
        if days < 0:
            continue
        k = days // 7
        if k <= weeks:
            active[(signup[uid].replace(day=1), k)].add(uid)
    out = []
    for month in sorted(members):
        ids = members[month]
        newest = max(signup[i] for i in ids)
        for k in range(weeks + 1):
            complete = newest + dt.timedelta(days=7 * (k + 1) - 1) <= last_day
            retained = len(active[(month, k)])
            out.append(
                {
                    "cohort_month": month,
                    "cohort_size": len(ids),
                    "week": k,
                    "retained": retained,
                    "rate": retained / len(ids) if complete else None,
                    "complete": complete,
                }
            )
    return out


def revenue_orders(
    events: list[dict[str, Any]],
    products: list[dict[str, Any]],
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    default_currency: str = "USD",
) -> list[dict[str, Any]]:
    """Revenue per (category, currency) with orders and average order value (issue 15).

    A purchase's revenue is its `amount` when present, else `quantity` (default 1) x the
    catalog price; a purchase with neither (unknown product, no amount) adds 0 but still counts
    as a purchase. Category: the product's, else the event's own `category`, else "unknown".
    A purchase without `currency` is in `default_currency`. Orders: distinct `order_id` within
    the row, each order-less purchase its own order. AOV = revenue / orders, 2 places, half up.
    """
    from decimal import ROUND_HALF_UP

    catalog = {p["product_id"]: (p["category"], p["price"]) for p in products}
    agg: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        if e["event_type"] != "purchased":
            continue
        if date_from is not None and e["timestamp"] < date_from:
            continue
        if date_to is not None and e["timestamp"] >= date_to:
            continue
        cat, price = catalog.get(e.get("product_id"), (None, None))
        if cat is None:
            cat = e.get("category") or "unknown"
        if e.get("amount") is not None:
            value = Decimal(e["amount"])
        elif price is not None:
            q = e.get("quantity")
            value = (1 if q is None else q) * Decimal(price)
        else:
            value = Decimal("0")
        key = (cat, e.get("currency") or default_currency)
        a = agg.setdefault(
            key,
            {"revenue": Decimal("0"), "purchases": 0, "buyers": set(), "orders": set()},
        )
        a["revenue"] += value
        a["purchases"] += 1
        a["buyers"].add(e["user_id"])
        # An order-less purchase is its own order: a fresh object never equals another.
        a["orders"].add(("order", e["order_id"]) if e.get("order_id") is not None else object())
    out = []
    for (cat, cur), a in agg.items():
        n = len(a["orders"])
        out.append(
            {
                "category": cat,
                "currency": cur,
                "revenue": a["revenue"].quantize(Decimal("0.01")),
                "purchases": a["purchases"],
                "orders": n,
                "buyers": len(a["buyers"]),
                "avg_order_value": (a["revenue"] / n).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                ),
            }
        )
    return sorted(out, key=lambda r: (-r["revenue"], r["category"], r["currency"]))
