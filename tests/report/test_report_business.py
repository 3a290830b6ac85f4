"""Business facts of the brief, on a hand-written shop whose answers are known: revenue from
`amount` when present else quantity x price, orders as distinct order_id (an order-less
purchase is its own order), currencies never summed, the funnel and the repeat rate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ducky.datasets import DataDir
from ducky.report.business import business_facts


def _shop(root: Path, with_contract_columns: bool) -> DataDir:
    ts = dt.datetime(2025, 1, 6, 10)
    rows = [
        # user, type, product, order, qty, amount, currency
        (1, "viewed", 10, None, None, None, None),
        (1, "add-to-cart", 10, None, None, None, None),
        (1, "purchased", 10, "o1", 2, None, "EUR"),  # 2 x 5.00 = 10.00 EUR
        (1, "purchased", 11, "o1", 1, 7.5, "EUR"),  # same order, amount paid 7.50
        (1, "purchased", 11, "o2", 1, None, "EUR"),  # 1 x 20.00, second order: repeat buyer
        (2, "viewed", 10, None, None, None, None),
        (2, "add-to-cart", 11, None, None, None, None),
        (2, "purchased", 11, None, 3, None, "USD"),  # order-less: its own order, 60.00 USD
        (3, "viewed", 11, None, None, None, None),
    ]
    cols = list(zip(*rows, strict=True))
    data = {
        "user_id": pa.array(cols[0], pa.int64()),
        "event_type": pa.array(cols[1]),
        "product_id": pa.array(cols[2], pa.int64()),
        "timestamp": pa.array([ts + dt.timedelta(days=i) for i in range(len(rows))]),
    }
    if with_contract_columns:
        data |= {
            "order_id": pa.array(cols[3], pa.string()),
            "quantity": pa.array(cols[4], pa.int32()),
            "amount": pa.array(cols[5], pa.float64()),
            "currency": pa.array(cols[6], pa.string()),
        }
    (root / "events" / "month=2025-01").mkdir(parents=True)
    pq.write_table(pa.table(data), root / "events" / "month=2025-01" / "part-0.parquet")
    products = pa.table(
        {
            "product_id": pa.array([10, 11], pa.int64()),
            "category": ["a", "b"],
            "price": pa.array([5.0, 20.0], pa.float64()),
        }
    )
    pq.write_table(products, root / "products.parquet")
    return DataDir(root)


def test_business_facts_with_order_quantity_amount_currency(tmp_path: Path) -> None:
    b = business_facts(_shop(tmp_path, with_contract_columns=True))
    by = {t.currency: t for t in b.totals}
    assert set(by) == {"EUR", "USD"}  # never summed across currencies
    assert by["USD"].revenue == pytest.approx(60.0) and by["USD"].orders == 1
    assert by["EUR"].revenue == pytest.approx(37.5)
    assert by["EUR"].orders == 2 and by["EUR"].purchases == 3
    assert by["EUR"].aov == pytest.approx(18.75)
    assert [t.currency for t in b.totals] == ["USD", "EUR"]  # largest revenue first
    assert b.funnel == [("viewed a product", 3), ("added to cart", 2), ("purchased", 2)]
    assert b.buyers == 2 and b.repeat_buyers == 1 and b.repeat_rate == 0.5
    assert [(p.start, p.currency) for p in b.by_month] == [
        (dt.date(2025, 1, 1), "EUR"),
        (dt.date(2025, 1, 1), "USD"),
    ]
    assert "amount paid" in b.revenue_source


def test_business_facts_without_contract_columns(tmp_path: Path) -> None:
    b = business_facts(_shop(tmp_path, with_contract_columns=False))
    # one currency (the default, schema.DEFAULT_CURRENCY), 1 x price per purchase, each
    # purchase its own order
    assert len(b.totals) == 1 and b.totals[0].currency == "USD"
    assert b.totals[0].revenue == pytest.approx(5.0 + 20.0 + 20.0 + 20.0)
    assert b.totals[0].orders == 4
    assert b.repeat_buyers == 1  # user 1: three purchases, three orders


def test_segment_values_one_row_per_segment_and_currency(tmp_path: Path) -> None:
    d = _shop(tmp_path, with_contract_columns=True)
    (tmp_path / "segments").mkdir()
    # user 4 (segment "x") never bought anything
    seg = pa.table({"user_id": pa.array([1, 2, 4, 3], pa.int64()), "segment": ["x", "x", "x", "y"]})
    pq.write_table(seg, tmp_path / "segments" / "segments.parquet")
    b = business_facts(d)
    rows = [(v.segment, v.currency, v.users, v.buyers, v.revenue, v.orders) for v in b.by_segment]
    # no phantom (segment, NULL currency) row for the segment's non-buyers: segment "x" has
    # one row per currency it bought in; "y" (no purchases) has a single empty row
    assert rows == [
        ("x", "USD", 3, 1, pytest.approx(60.0), 1),
        ("x", "EUR", 3, 1, pytest.approx(37.5), 2),
        ("y", None, 1, 0, 0.0, 0),
    ]
    eur = next(v for v in b.by_segment if v.currency == "EUR")
    assert eur.aov == pytest.approx(18.75)  # revenue / orders


def test_funnel_steps_are_nested_and_buyers_outside_it_are_said(tmp_path: Path) -> None:
    # A shop whose orders come without view events (imported from the order system): counting
    # each event type apart gave "200 % of viewers bought".
    ts = dt.datetime(2025, 1, 6, 10)
    rows = [
        (1, "viewed"), (1, "add-to-cart"), (1, "purchased"),  # the whole funnel
        (2, "purchased"), (5, "purchased"),  # buyers with no view: outside the funnel
        (3, "viewed"), (3, "purchased"),  # bought without a cart event
        (4, "viewed"),
    ]  # fmt: skip
    (tmp_path / "events" / "month=2025-01").mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array([r[0] for r in rows], pa.int64()),
                "event_type": [r[1] for r in rows],
                "product_id": pa.array([10] * len(rows), pa.int64()),
                "timestamp": [ts + dt.timedelta(hours=i) for i in range(len(rows))],
            }
        ),
        tmp_path / "events" / "month=2025-01" / "part-0.parquet",
    )
    b = business_facts(DataDir(tmp_path))
    assert b.funnel == [("viewed a product", 3), ("added to cart", 1), ("purchased", 1)]
    assert [r for _, _, r in b.funnel_rates()] == [None, pytest.approx(1 / 3), 1.0]
    assert b.viewers_who_bought == 2  # users 1 and 3, of 3 viewers: 66.7 %, never above 100 %
    assert b.funnel_notes == [
        "2 of 4 buyers have no view event and are not in the funnel",
        "1 viewer bought without an add-to-cart event: counted in viewers who bought, not in "
        "the funnel's last step",
    ]
    # No add-to-cart events at all: the funnel is view -> purchase, no empty middle step.
    keep = [r for r in rows if r[1] != "add-to-cart"]
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array([r[0] for r in keep], pa.int64()),
                "event_type": [r[1] for r in keep],
                "product_id": pa.array([10] * len(keep), pa.int64()),
                "timestamp": [ts + dt.timedelta(hours=i) for i in range(len(keep))],
            }
        ),
        tmp_path / "events" / "month=2025-01" / "part-0.parquet",
    )
    b = business_facts(DataDir(tmp_path))
    assert b.funnel == [("viewed a product", 3), ("purchased", 2)]
    assert b.funnel_notes == ["2 of 4 buyers have no view event and are not in the funnel"]
