"""Epoch numbers in time columns (issue 15), through the real `ducky ingest` command.

Known answers, worked out by hand: 1709553600 s since 1970-01-01 UTC is 2024-03-04 12:00:00
(19786 days x 86400 s + 12 h); 86400000 s is 1000 days, 1972-09-27; 86400000 ms is one day.
The digit-band rule (coerce.EPOCH_UNITS): 9-10 integer digits are seconds, 12-13 milliseconds,
15-16 microseconds; any other number is refused, naming the mapping key, until the mapping
gives the unit.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tests.cli_support import Result, ingest_in_process

NOON = dt.datetime(2024, 3, 4, 12, 0)


def _ingest(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> Result:
    return ingest_in_process(capsys, out, *args)


def _times(out: Path, table: str = "events") -> list[tuple[Any, dt.datetime]]:
    rows = ds.dataset(out / table, partitioning="hive").to_table().to_pylist()
    return sorted((r["user_id"], r["timestamp"]) for r in rows)


def _loaded(r: Result) -> list[tuple[int, int]]:
    assert r.code == 0, r.stderr
    return [(a["loaded"], a["quarantined"]) for a in json.loads(r.stdout)["accounting"]]


def test_numeric_strings_by_digit_band(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ev = tmp_path / "events.csv"
    ev.write_text(
        "user_id,event_type,timestamp\n"
        "1,login,1709553600\n"  # seconds
        "2,login,1709553600.25\n"  # seconds with a fraction
        "3,login,1709553600500\n"  # milliseconds
        "4,login,1709553600123456\n"  # microseconds (BigQuery's GA4 event_timestamp)
        "5,login, 1709553600 \n"  # blanks around it
    )
    r = _ingest(capsys, tmp_path / "d", "--events", str(ev))
    assert _loaded(r) == [(5, 0)]
    assert _times(tmp_path / "d") == [
        (1, NOON),
        (2, NOON.replace(microsecond=250000)),
        (3, NOON.replace(microsecond=500000)),
        (4, NOON.replace(microsecond=123456)),
        (5, NOON),
    ]


@pytest.mark.parametrize("kind", ["parquet", "ndjson"])
def test_int_and_float_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    # Typed numbers (Parquet int64/double, JSON numbers) go through the same rule.
    ms = tmp_path / f"ms.{kind}"
    secs = tmp_path / f"s.{kind}"
    rows_ms = [(1, 1709553600000), (2, 1709553600500)]
    rows_s = [(3, 1709553600.75), (4, 1709553601.0)]
    if kind == "parquet":
        for path, rows, typ in ((ms, rows_ms, pa.int64()), (secs, rows_s, pa.float64())):
            pq.write_table(
                pa.table(
                    {
                        "user_id": [u for u, _ in rows],
                        "event_type": ["login"] * len(rows),
                        "timestamp": pa.array([t for _, t in rows], typ),
                    }
                ),
                path,
            )
    else:
        for path, rows in ((ms, rows_ms), (secs, rows_s)):
            path.write_text(
                "".join(
                    json.dumps({"user_id": u, "event_type": "login", "timestamp": t}) + "\n"
                    for u, t in rows
                )
            )
    assert _loaded(_ingest(capsys, tmp_path / "a", "--events", str(ms))) == [(2, 0)]
    assert _loaded(_ingest(capsys, tmp_path / "b", "--events", str(secs))) == [(2, 0)]
    assert _times(tmp_path / "a") + _times(tmp_path / "b") == [
        (1, NOON),
        (2, NOON.replace(microsecond=500000)),
        (3, NOON.replace(microsecond=750000)),
        (4, NOON.replace(second=1)),
    ]


def test_ambiguous_number_is_one_error_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "events.csv"
    # 86400000: 8 digits, 1000 days as seconds or one day as milliseconds
    ev.write_text("user_id,event_type,timestamp\n1,login,1709553600\n2,login,86400000\n")
    r = _ingest(capsys, tmp_path / "d", "--events", str(ev))
    assert r.code == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "events.timestamp: '86400000' is a number but not clearly epoch seconds" in r.stderr
    assert "formats: {events.timestamp: epoch_s}" in r.stderr
    assert not (tmp_path / "d" / "manifest.json").exists()

    # An 11-digit Parquet int64 likewise (seconds in year 2511, or milliseconds in 1970)
    pq_path = tmp_path / "e.parquet"
    pq.write_table(
        pa.table({"user_id": [1], "event_type": ["login"], "timestamp": [17095536000]}), pq_path
    )
    r = _ingest(capsys, tmp_path / "p", "--events", str(pq_path))
    assert r.code == 2 and "events.timestamp: 17095536000 is a number" in r.stderr

    # The mapping gives the unit: then every number converts as said, whatever its digits.
    for unit, second in (
        ("epoch_s", dt.datetime(1972, 9, 27)),
        ("epoch_ms", dt.datetime(1970, 1, 2)),
    ):
        m = tmp_path / f"{unit}.yaml"
        m.write_text(f"formats:\n  events.timestamp: {unit}\n")
        out = tmp_path / unit
        r = _ingest(capsys, out, "--events", str(ev), "--mapping", str(m))
        assert _loaded(r) == [(2, 0)]
        first = NOON if unit == "epoch_s" else dt.datetime(1970, 1, 20, 18, 52, 33, 600000)
        assert _times(out) == [(1, first), (2, second)]


def test_explicit_unit_quarantines_what_is_not_a_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "events.csv"
    ev.write_text(
        "user_id,event_type,timestamp\n1,login,1709553600000\n2,login,2024-03-04\n"
        "3,login,99999999999999999999\n"
    )
    m = tmp_path / "m.yaml"
    m.write_text("formats:\n  events.timestamp: epoch_ms\n")
    r = _ingest(
        capsys, tmp_path / "d", "--events", str(ev), "--mapping", str(m), "--fail-on", "never"
    )
    assert _loaded(r) == [(1, 2)]
    assert _times(tmp_path / "d") == [(1, NOON)]
    q = _quarantine(capsys, tmp_path / "d")
    assert [(x["record"], x["reason"]) for x in q] == [
        (3, "timestamp: '2024-03-04' is not a time in epoch_ms (the mapping's format)"),
        (4, "timestamp: '99999999999999999999' is not a time in epoch_ms (the mapping's format)"),
    ]


def _quarantine(capsys: pytest.CaptureFixture[str], out: Path) -> list[dict[str, Any]]:
    from ducky.cli.main import main

    try:
        main(["--data", str(out), "--json", "quarantine", "events"])
    except SystemExit as e:
        assert not e.code
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["rows"]
    return rows


def test_epoch_signup_dates_and_numeric_strptime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A users table exported with epoch seconds for signup, and one with yyyymmdd integers.
    users = tmp_path / "users.parquet"
    pq.write_table(pa.table({"user_id": [1, 2], "signup_date": [1709553600, 1709596799]}), users)
    r = _ingest(capsys, tmp_path / "a", "--users", str(users))
    assert _loaded(r) == [(2, 0)]
    got = pq.read_table(tmp_path / "a" / "users.parquet").to_pylist()
    assert [(u["user_id"], u["signup_date"]) for u in got] == [
        (1, dt.date(2024, 3, 4)),
        (2, dt.date(2024, 3, 4)),  # 23:59:59 UTC is still that day
    ]
    ymd = tmp_path / "ymd.parquet"
    pq.write_table(pa.table({"user_id": [1], "signup_date": [20240304]}), ymd)
    # yyyymmdd is 8 digits: no epoch band, so it is refused until the mapping says what it is
    r = _ingest(capsys, tmp_path / "b", "--users", str(ymd))
    assert r.code == 2 and "users.signup_date: 20240304 is a number" in r.stderr
    m = tmp_path / "m.yaml"
    m.write_text('formats:\n  users.signup_date: "%Y%m%d"\n')
    r = _ingest(capsys, tmp_path / "c", "--users", str(ymd), "--mapping", str(m))
    assert _loaded(r) == [(1, 0)]
    got = pq.read_table(tmp_path / "c" / "users.parquet").to_pylist()
    assert [(u["user_id"], u["signup_date"]) for u in got] == [(1, dt.date(2024, 3, 4))]


def test_text_dates_follow_the_same_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # CSV text behaves like the Parquet integers above: epoch seconds -> their UTC day,
    # an 8-digit yyyymmdd is refused naming the key, ISO dates are untouched.
    users = tmp_path / "users.csv"
    users.write_text("user_id,signup_date\n1,1709553600\n2,2024-03-05\n")
    r = _ingest(capsys, tmp_path / "a", "--users", str(users))
    assert _loaded(r) == [(2, 0)]
    got = pq.read_table(tmp_path / "a" / "users.parquet").to_pylist()
    assert [(u["user_id"], u["signup_date"]) for u in got] == [
        (1, dt.date(2024, 3, 4)),
        (2, dt.date(2024, 3, 5)),
    ]
    ymd = tmp_path / "ymd.csv"
    ymd.write_text("user_id,signup_date\n1,20240304\n")
    r = _ingest(capsys, tmp_path / "b", "--users", str(ymd))
    assert r.code == 2 and "users.signup_date: '20240304' is a number" in r.stderr
