"""`ducky ingest --daily` sales follow the METRICS.md revenue definition, on hand-made data.

A purchase's revenue is its amount, else quantity (default 1) x products.price; one row per
(day, category, currency), never summed across currencies; a purchase of no known product is
kept as category "unknown" (as `ducky query revenue` does).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ducky.datasets import DataDir
from ducky.engines import open_engine
from ducky.ingest.daily import daily_summaries
from tests import handmade

D = dt.date
PRODUCTS = [
    {"product_id": 1, "category": "a", "price": Decimal("10.00"), "name": "x"},
    {"product_id": 2, "category": "a", "price": Decimal("12.50"), "name": "y"},
    {"product_id": 3, "category": "b", "price": Decimal("7.00"), "name": "z"},
]


def _p(
    user: int,
    product: int | None,
    ts: dt.datetime,
    quantity: int | None = None,
    amount: str | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    return {
        "user_id": user,
        "event_type": "purchased",
        "product_id": product,
        "timestamp": ts,
        "order_id": None,
        "quantity": quantity,
        "amount": None if amount is None else Decimal(amount),
        "currency": currency,
    }


T = dt.datetime
EVENTS = [
    # 2024-01-31, a/USD: 1 x 12.50 (quantity missing = 1) + 2 x 10.00 -> 32.50
    _p(1, 2, T(2024, 1, 31, 9)),
    _p(2, 1, T(2024, 1, 31, 10), quantity=2),
    # 2024-01-31, a/EUR: never summed with USD
    _p(3, 1, T(2024, 1, 31, 11), currency="EUR"),
    # 2024-02-01, a/USD: the paid amount (25.00), not the catalog price 10.00
    _p(1, 1, T(2024, 2, 1, 8), quantity=3, amount="25.00", currency="USD"),
    # 2024-02-01, unknown product (not in the catalog) with an amount, and none at all
    _p(2, 99, T(2024, 2, 1, 9), amount="4.00"),
    _p(2, None, T(2024, 2, 1, 23, 59), amount="1.50"),
    # 2024-02-01, b/USD: a non-purchase event with an amount is ignored
    _p(4, 3, T(2024, 2, 1, 12), quantity=2),
    {**_p(4, 3, T(2024, 2, 1, 13), amount="99.00"), "event_type": "viewed"},
]

# (day, category, currency) -> (purchases, revenue, buyers)
EXPECTED = {
    (D(2024, 1, 31), "a", "EUR"): (1, Decimal("10.00"), 1),
    (D(2024, 1, 31), "a", "USD"): (2, Decimal("32.50"), 2),
    (D(2024, 2, 1), "a", "USD"): (1, Decimal("25.00"), 1),
    (D(2024, 2, 1), "b", "USD"): (1, Decimal("14.00"), 1),
    (D(2024, 2, 1), "unknown", "USD"): (2, Decimal("5.50"), 1),
}


def _rows(table: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    rows = table.to_pylist()
    assert [(r["day"], r["category"], r["currency"]) for r in rows] == sorted(
        (r["day"], r["category"], r["currency"]) for r in rows
    )
    return {
        (r["day"], r["category"], r["currency"]): (r["purchases"], r["revenue"], r["buyers"])
        for r in rows
    }


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return handmade.write_datadir(
        tmp_path_factory.mktemp("daily") / "data", products=PRODUCTS, events=EVENTS
    )


def test_daily_sales_follow_the_revenue_definition(shop_dir: Path) -> None:
    assert _rows(daily_summaries(DataDir(shop_dir))["daily_sales"]) == EXPECTED


def test_daily_sales_date_range(shop_dir: Path) -> None:
    got = daily_summaries(DataDir(shop_dir), date_from="2024-02-01", date_to="2024-02-02")
    assert _rows(got["daily_sales"]) == {k: v for k, v in EXPECTED.items() if k[0] == D(2024, 2, 1)}


def test_daily_sales_totals_equal_query_revenue(shop_dir: Path) -> None:
    sales = _rows(daily_summaries(DataDir(shop_dir))["daily_sales"])
    totals: dict[tuple[str, str], Decimal] = {}
    for (_, cat, cur), (_, rev, _) in sales.items():
        totals[(cat, cur)] = totals.get((cat, cur), Decimal(0)) + rev
    with open_engine("duckdb", DataDir(shop_dir), mode="parquet") as eng:
        eng.load()
        revenue = eng.query("revenue", "optimized").to_pylist()
    assert totals == {(r["category"], r["currency"]): r["revenue"] for r in revenue}


def test_daily_sales_without_a_catalog_keep_purchases(tmp_path: Path) -> None:
    events = [_p(1, 1, T(2024, 1, 31, 9), amount="3.00"), _p(2, 2, T(2024, 1, 31, 10), quantity=2)]
    d = handmade.write_datadir(tmp_path / "data", products=[], events=events)
    # no catalog: the amount counts, a quantity without a price adds 0 (still a purchase)
    assert _rows(daily_summaries(DataDir(d))["daily_sales"]) == {
        (D(2024, 1, 31), "unknown", "USD"): (2, Decimal("3.00"), 2)
    }
