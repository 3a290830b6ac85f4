"""A segment's "avg order value" is revenue / orders (METRICS.md), not a mean of users' AOVs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ducky.datasets import DataDir
from ducky.plugins.segment.features import behaviour_features, segment_aov


def _shop(root: Path, currencies: list[str | None] | None = None) -> DataDir:
    ts = dt.datetime(2025, 1, 6, 10)
    # user 1: one purchase of 10.00; user 2: three purchases of 100.00 each (own orders)
    users = [1, 2, 2, 2, 3]
    types = ["purchased"] * 4 + ["viewed"]
    products = [10, 11, 11, 11, 10]
    data = {
        "user_id": pa.array(users, pa.int64()),
        "event_type": pa.array(types),
        "product_id": pa.array(products, pa.int64()),
        "timestamp": pa.array([ts + dt.timedelta(hours=i) for i in range(len(users))]),
    }
    if currencies is not None:
        data["currency"] = pa.array(currencies, pa.string())
    (root / "events" / "month=2025-01").mkdir(parents=True)
    pq.write_table(pa.table(data), root / "events" / "month=2025-01" / "part-0.parquet")
    pq.write_table(
        pa.table(
            {
                "product_id": pa.array([10, 11], pa.int64()),
                "category": ["a", "b"],
                "price": pa.array([10.0, 100.0], pa.float64()),
            }
        ),
        root / "products.parquet",
    )
    return DataDir(root)


def test_segment_aov_is_revenue_over_orders(tmp_path: Path) -> None:
    b = behaviour_features(_shop(tmp_path), np.array([1, 2, 3]))
    assert b is not None and b.revenue is not None and b.orders is not None
    assert b.revenue.tolist() == [10.0, 300.0, 0.0]
    assert b.orders.tolist() == [1.0, 3.0, 0.0]
    everyone = np.array([True, True, True])
    # 310 / 4 orders = 77.50; the old mean of per-user AOVs gave (10 + 100) / 2 = 55.00
    assert segment_aov(b, everyone) == pytest.approx(77.5)
    assert segment_aov(b, np.array([False, False, True])) is None  # no orders


def test_segment_aov_not_summed_across_currencies(tmp_path: Path) -> None:
    cur: list[str | None] = ["EUR", "USD", "USD", "USD", None]
    b = behaviour_features(_shop(tmp_path, cur), np.array([1, 2, 3]))
    assert b is not None
    assert segment_aov(b, np.array([True, True, True])) is None
