"""Typing rules: no silent rounding, offsets converted to UTC, epoch seconds, blanks missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from ducky.ingest.coerce import present_expr, typed_expr
from ducky.ingest.duck import connect

T = dt.datetime


def _typed(values: list[Any], logical: str, arrow_type: pa.DataType | None = None) -> list[Any]:
    arrow_type = arrow_type or pa.string()
    con = connect()
    con.register("s", pa.table({"v": pa.array(values, arrow_type)}))
    rows = con.execute(f"SELECT {typed_expr('v', logical, arrow_type)} FROM s").fetchall()
    con.close()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-05T10:00:00Z", T(2025, 1, 5, 10)),
        ("2025-01-05T10:05:00+01:00", T(2025, 1, 5, 9, 5)),
        ("2025-01-05T10:05:00-05:00", T(2025, 1, 5, 15, 5)),
        ("2025-01-05T10:05:00-0500", T(2025, 1, 5, 15, 5)),
        ("2025-01-05T10:05:00.123-05", T(2025, 1, 5, 15, 5, 0, 123000)),
        ("2025-01-06 08:00:00", T(2025, 1, 6, 8)),
        (" 2025-01-06 08:00:00 ", T(2025, 1, 6, 8)),
        ("2025-01-06", T(2025, 1, 6)),
        ("1736071200", T(2025, 1, 5, 10)),
        ("2025-01-05T10:00-05", T(2025, 1, 5, 15)),
        ("2025-01-05T10:00+02", T(2025, 1, 5, 8)),
        ("2025-01-05T10:00:00 Asia/Tokyo", T(2025, 1, 5, 1)),
        ("2025-01-05T10:00:00 PST", None),  # an abbreviation is never guessed
        ("2025-01-05T10:00:00 Nowhere/City", None),
        ("yesterday", None),
        ("2025-02-30 10:00:00", None),
    ],
)
def test_timestamps(raw: str, expected: T | None) -> None:
    assert _typed([raw], "timestamp") == [expected]


def test_integers_refuse_fractions() -> None:
    got = _typed(["12", " 12 ", "12.0", "12.5", "1e3", "abc", "-7", "99999999999"], "int64")
    assert got == [12, 12, 12, None, None, None, -7, 99999999999]
    assert _typed(["99999999999"], "int32") == [None]  # does not fit 32 bits
    assert _typed([1.0, 1.5], "int64", pa.float64()) == [1, None]


def test_prices_refuse_rounding() -> None:
    got = _typed(["1.5", "1.23", "1.234", "-5", "abc", "12345678901.00"], "decimal")
    assert got == [Decimal("1.50"), Decimal("1.23"), None, Decimal("-5.00"), None, None]
    assert _typed([2.5, 1.005], "decimal", pa.float64()) == [Decimal("2.50"), None]


def test_dates_and_lists() -> None:
    assert _typed(["2025-01-31", "2025-01-31T23:00:00", "31/01/2025"], "date") == [
        dt.date(2025, 1, 31),
        dt.date(2025, 1, 31),
        None,
    ]
    assert _typed(["[1, 2]", "[]", "[x]"], "list<int64>") == [[1, 2], [], None]


def test_blank_strings_are_missing() -> None:
    con = connect()
    con.register("s", pa.table({"v": pa.array(["a", "", "   ", None, " b "])}))
    rows = con.execute(f"SELECT {present_expr('v', pa.string())} FROM s").fetchall()
    assert [r[0] for r in rows] == [True, False, False, False, True]
