"""The revenue definition with orders and amounts (issue 15), on hand-made data."""

from __future__ import annotations

import datetime as dt

from tests import handmade, handmade_orders, reference


def test_reference_matches_hand_computed_rows() -> None:
    got = reference.revenue_orders(handmade_orders.EVENTS, handmade.PRODUCTS)
    assert got == handmade_orders.EXPECTED


def test_reference_date_range_drops_purchases_outside() -> None:
    got = reference.revenue_orders(
        handmade_orders.EVENTS,
        handmade.PRODUCTS,
        date_from=dt.datetime(2025, 1, 1),
        date_to=dt.datetime(2025, 2, 15),
    )
    # Only B2 (fashion, EUR, 2025-02-20) lies outside [from, to).
    assert got == [
        r for r in handmade_orders.EXPECTED if (r["category"], r["currency"]) != ("fashion", "EUR")
    ]


def test_reference_default_currency_and_legacy_rows() -> None:
    # Rows without any order columns (the integer-id generator's shape) get one default
    # currency, and each purchase is its own order at quantity 1 x price.
    got = reference.revenue_orders(handmade.EVENTS, handmade.PRODUCTS, default_currency="XTS")
    legacy = reference.revenue_price_only(handmade.EVENTS, handmade.PRODUCTS)
    assert [(r["category"], r["revenue"], r["purchases"], r["buyers"]) for r in got] == [
        (r["category"], r["revenue"], r["purchases"], r["buyers"]) for r in legacy
    ]
    assert {r["currency"] for r in got} == {"XTS"}
    assert all(r["orders"] == r["purchases"] for r in got)
