"""The three canonical metrics on DuckDB against hand-computed answers and the independent
pure-Python reference (tests/reference.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ducky.datasets import DataDir
from ducky.queries import run_query
from tests import handmade, reference

D = dt.date


def _rows(data: Path, query: str, mode: str = "parquet", **params: Any) -> list[dict[str, Any]]:
    table = run_query(DataDir(data), query, "duckdb", engine_options={"mode": mode}, **params)
    return table.to_pylist()


def _approx_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


@pytest.mark.parametrize("mode", ["parquet", "native"])
def test_wau_matches_reference(handmade_dir: Path, mode: str) -> None:
    got = _rows(handmade_dir, "wau", mode)
    assert got == reference.wau(handmade.EVENTS)


def test_wau_known_answers(handmade_dir: Path) -> None:
    got = {r["week_start"]: r for r in _rows(handmade_dir, "wau")}
    # Mon 2024-12-30 .. Sun 2025-01-05 spans the year end: users 1, 2 and 5.
    assert got[D(2024, 12, 30)]["active_users"] == 3
    assert got[D(2024, 12, 30)]["complete"] is True
    # user 4's event before signup still counts as activity for WAU.
    assert got[D(2025, 1, 6)]["active_users"] == 3
    # The last week (Mon 2025-03-10) is cut by the end of the data.
    assert got[D(2025, 3, 10)] == {
        "week_start": D(2025, 3, 10),
        "active_users": 1,
        "complete": False,
    }
    # Weeks without events are absent, not zero.
    assert D(2025, 2, 3) not in got


def test_wau_single_event_type(handmade_dir: Path) -> None:
    got = _rows(handmade_dir, "wau", event_type="purchased")
    assert got == reference.wau(handmade.EVENTS, "purchased")
    assert [r["active_users"] for r in got] == [1, 1, 1, 1, 1]


@pytest.mark.parametrize("mode", ["parquet", "native"])
def test_revenue_matches_reference(handmade_dir: Path, mode: str) -> None:
    got = _rows(handmade_dir, "revenue", mode)
    assert got == reference.revenue(handmade.EVENTS, handmade.PRODUCTS)
    assert got == [
        {
            "category": "electronics",
            "currency": "USD",
            "revenue": Decimal("250.50"),
            "purchases": 3,
            "orders": 3,
            "buyers": 3,
            "avg_order_value": Decimal("83.50"),
        },
        {
            "category": "fashion",
            "currency": "USD",
            "revenue": Decimal("20.25"),
            "purchases": 1,
            "orders": 1,
            "buyers": 1,
            "avg_order_value": Decimal("20.25"),
        },
        {
            "category": "home",
            "currency": "USD",
            "revenue": Decimal("19.98"),
            "purchases": 2,
            "orders": 2,
            "buyers": 1,
            "avg_order_value": Decimal("9.99"),
        },
    ]


def test_revenue_date_range_is_half_open(handmade_dir: Path) -> None:
    got = _rows(handmade_dir, "revenue", date_from="2025-01-01", date_to="2025-01-29")
    ref = reference.revenue(
        handmade.EVENTS, handmade.PRODUCTS, dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 29)
    )
    assert got == ref
    assert got == [
        {
            "category": "electronics",
            "currency": "USD",
            "revenue": Decimal("50.50"),
            "purchases": 1,
            "orders": 1,
            "buyers": 1,
            "avg_order_value": Decimal("50.50"),
        },
        {
            "category": "fashion",
            "currency": "USD",
            "revenue": Decimal("20.25"),
            "purchases": 1,
            "orders": 1,
            "buyers": 1,
            "avg_order_value": Decimal("20.25"),
        },
    ]


@pytest.mark.parametrize("mode", ["parquet", "native"])
def test_cohort_matches_reference(handmade_dir: Path, mode: str) -> None:
    got = _rows(handmade_dir, "cohort", mode)
    assert got == _approx_rows(reference.cohort(handmade.USERS, handmade.EVENTS))


def test_cohort_known_answers(handmade_dir: Path) -> None:
    got = {(r["cohort_month"], r["week"]): r for r in _rows(handmade_dir, "cohort")}
    dec, jan, mar = D(2024, 12, 1), D(2025, 1, 1), D(2025, 3, 1)
    # Year-end cohort: weeks counted from each user's own signup, user 3 (no events) counted.
    assert got[(dec, 0)]["cohort_size"] == 3
    assert [got[(dec, k)]["retained"] for k in range(9)] == [2, 2, 0, 1, 0, 0, 0, 0, 1]
    assert got[(dec, 1)]["rate"] == pytest.approx(2 / 3)
    assert all(got[(dec, k)]["complete"] for k in range(9))
    # Event before signup ignored; weeks 7-8 of January are censored: no rate, never 0 %.
    assert got[(jan, 0)]["retained"] == 2
    assert got[(jan, 6)]["complete"] is True and got[(jan, 6)]["rate"] == 0.0
    assert got[(jan, 7)]["complete"] is False and got[(jan, 7)]["rate"] is None
    assert got[(jan, 8)]["retained"] == 1 and got[(jan, 8)]["rate"] is None
    # Too-recent cohort: only week 0 complete.
    assert got[(mar, 0)]["rate"] == 1.0
    assert got[(mar, 1)]["complete"] is False and got[(mar, 1)]["rate"] is None
    # The empty month has no cohort row.
    assert (D(2025, 2, 1), 0) not in got


def test_cohort_purchase_only(handmade_dir: Path) -> None:
    got = _rows(handmade_dir, "cohort", event_type="purchased", weeks=8)
    assert got == _approx_rows(reference.cohort(handmade.USERS, handmade.EVENTS, 8, "purchased"))
    dec = [r["retained"] for r in got if r["cohort_month"] == D(2024, 12, 1)]
    assert dec == [1, 1, 0, 1, 0, 0, 0, 0, 0]


def test_cohort_weeks_parameter(handmade_dir: Path) -> None:
    got = _rows(handmade_dir, "cohort", weeks=3)
    assert {r["week"] for r in got} == {0, 1, 2, 3}
    assert got == _approx_rows(reference.cohort(handmade.USERS, handmade.EVENTS, 3))


def test_native_file_is_copied_once_per_data_version(tmp_path: Path) -> None:
    # The native file keeps the tables of the data it was built from: opening it again does
    # not copy the Parquet files again (a marker row survives), a changed data directory or an
    # explicit forced load does (the marker is gone), and answers follow the new data.
    from ducky.engines.duckdb import DuckDBEngine
    from tests.handmade import write_datadir

    d = write_datadir(tmp_path / "d")
    db = tmp_path / "native.duckdb"

    def open_native(force: bool = False) -> DuckDBEngine:
        eng = DuckDBEngine(DataDir(d), mode="native", database=db)
        eng.load(force=force)
        return eng

    def users(eng: DuckDBEngine) -> int:
        return int(eng.con.execute("SELECT COUNT(*) FROM users").fetchall()[0][0])

    with open_native() as eng:
        n = users(eng)
        assert n == len(handmade.USERS)
        eng.con.execute("INSERT INTO users SELECT * FROM users LIMIT 1")  # marker
    with open_native() as eng:
        assert users(eng) == n + 1  # reused, not copied again
    with open_native(force=True) as eng:
        assert users(eng) == n
        eng.con.execute("INSERT INTO users SELECT * FROM users LIMIT 1")
    write_datadir(d, events=handmade.EVENTS[:3])  # a new version of the data directory
    with open_native() as eng:
        assert users(eng) == n
        assert int(eng.con.execute("SELECT COUNT(*) FROM events").fetchall()[0][0]) == 3
