"""Defects found by the user-testing pass of `ducky ingest`, through the real command.

Known answers worked out by hand: New York is UTC-5 in January, Tokyo UTC+9 all year;
`2024-01-31T23:30:00-05:00` is 2024-02-01 04:30 UTC, `2024-02-01T01:00:00+09:00` is
2024-01-31 16:00 UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from ducky.ingest.quarantine import read_quarantine
from tests.cli_support import Result, ingest_in_process

T = dt.datetime


def _ingest(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> Result:
    return ingest_in_process(capsys, out, *args)


def _rows(out: Path, table: str) -> list[dict[str, Any]]:
    if (out / f"{table}.parquet").exists():
        return pq.read_table(out / f"{table}.parquet").to_pylist()
    return ds.dataset(out / table, partitioning="hive").to_table().to_pylist()


def _reasons(out: Path, table: str) -> list[tuple[int, str]]:
    q = read_quarantine(out, table).to_pylist()
    return sorted((r["record"], r["reason"]) for r in q)


def test_offsets_in_every_iso_form_and_zone_names_become_utc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "tz.csv"
    ev.write_text(
        "user_id,event_type,product_id,timestamp\n"
        "1,login,,2024-01-01T12:00:00 America/New_York\n"
        "2,login,,2024-07-01T12:00:00 Asia/Tokyo\n"
        "3,login,,2024-01-01T12:00:00 PST\n"
        "4,login,,2024-01-05T10:00-05\n"
        "5,login,,2024-01-05T10:00+02\n"
        "6,login,,2024-01-05T10:00-0530\n"
        "7,login,,2024-01-05 10:00:00 +01:00\n"
        "8,login,,2024-01-05T10:00:00 UTC\n"
        "9,login,,2024-01-05T10:00:00 Mars/Olympus\n"
    )
    r = _ingest(capsys, tmp_path / "d", "--events", str(ev), "--fail-on", "never")
    assert r.code == 0, r.stderr
    got = sorted((x["user_id"], x["timestamp"]) for x in _rows(tmp_path / "d", "events"))
    assert got == [
        (1, T(2024, 1, 1, 17)),
        (2, T(2024, 7, 1, 3)),
        (4, T(2024, 1, 5, 15)),
        (5, T(2024, 1, 5, 8)),
        (6, T(2024, 1, 5, 15, 30)),
        (7, T(2024, 1, 5, 9)),
        (8, T(2024, 1, 5, 10)),
    ]
    reasons = _reasons(tmp_path / "d", "events")
    assert [n for n, _ in reasons] == [4, 10]  # record numbers: line numbers of the CSV
    assert "abbreviation 'PST'" in reasons[0][1] and "ambiguous" in reasons[0][1]
    assert "Mars/Olympus" in reasons[1][1]


def test_signup_date_with_an_offset_is_its_utc_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    u = tmp_path / "u.csv"
    u.write_text("user_id,signup_date\n1,2024-01-31T23:30:00-05:00\n3,2024-02-01T01:00:00+09:00\n")
    r = _ingest(capsys, tmp_path / "d", "--users", str(u))
    assert r.code == 0, r.stderr
    got = sorted((x["user_id"], x["signup_date"]) for x in _rows(tmp_path / "d", "users"))
    assert got == [(1, dt.date(2024, 2, 1)), (3, dt.date(2024, 1, 31))]


def test_zero_padded_ids_are_kept_as_the_shops_strings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    u = tmp_path / "u.csv"
    u.write_text("user_id,signup_date\n007,2024-01-01\n7,2024-01-02\n0042,2024-01-03\n")
    p = tmp_path / "p.csv"
    p.write_text("product_id,category,price\n0001,books,5.00\n1,toys,7.00\n")
    ev = tmp_path / "e.csv"
    ev.write_text(
        "user_id,event_type,product_id,timestamp\n"
        "007,purchased,0001,2024-01-05T10:00:00Z\n"
        "7,purchased,1,2024-01-05T11:00:00Z\n"
    )
    out = tmp_path / "d"
    r = _ingest(
        capsys,
        out,
        "--users",
        str(u),
        "--products",
        str(p),
        "--events",
        str(ev),
        "--fail-on",
        "never",
    )
    assert r.code == 0, r.stderr
    acc = {a["table"]: (a["loaded"], a["quarantined"]) for a in json.loads(r.stdout)["accounting"]}
    assert acc["users"] == (3, 0) and acc["products"] == (2, 0) and acc["events"] == (2, 0)
    assert sorted(x["user_id"] for x in _rows(out, "users")) == ["0042", "007", "7"]
    assert sorted(x["product_id"] for x in _rows(out, "products")) == ["0001", "1"]
    got = sorted((x["user_id"], x["product_id"]) for x in _rows(out, "events"))
    assert got == [("007", "0001"), ("7", "1")]


@pytest.mark.parametrize(
    ("formats", "message"),
    [
        (
            'events.timestamp: "%Q"',
            "formats events.timestamp: '%Q' is not a valid strptime pattern",
        ),
        (
            "events.timestmp: epoch_s",
            "formats names 'events.timestmp', which is not a date or timestamp column "
            "(valid keys: users.signup_date, events.timestamp, search_logs.timestamp)",
        ),
        (
            "events.timestamp: epoch_sec",
            "formats events.timestamp: 'epoch_sec' is neither a known unit "
            "(epoch_s, epoch_ms, epoch_us) nor a strptime pattern",
        ),
    ],
)
def test_bad_formats_section_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], formats: str, message: str
) -> None:
    ev = tmp_path / "e.csv"
    ev.write_text("user_id,event_type,timestamp\n1,login,2024-01-05T10:00:00Z\n")
    m = tmp_path / "m.yaml"
    m.write_text(f"formats:\n  {formats}\n")
    r = _ingest(capsys, tmp_path / "d", "--events", str(ev), "--mapping", str(m))
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert message in lines[0]
    assert not (tmp_path / "d").exists()


def test_a_row_that_misses_the_custom_format_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "e.csv"
    ev.write_text("user_id,event_type,timestamp\n1,login,01/13/2024 10:00\n2,login,2024-01-14\n")
    m = tmp_path / "m.yaml"
    m.write_text('formats:\n  events.timestamp: "%m/%d/%Y %H:%M"\n')
    out = tmp_path / "d"
    r = _ingest(capsys, out, "--events", str(ev), "--mapping", str(m), "--fail-on", "never")
    assert r.code == 0, r.stderr
    assert [(x["user_id"], x["timestamp"]) for x in _rows(out, "events")] == [
        (1, T(2024, 1, 13, 10))
    ]
    assert _reasons(out, "events") == [
        (3, "timestamp: '2024-01-14' does not match the mapping's format '%m/%d/%Y %H:%M'")
    ]


def test_one_unambiguous_slash_date_is_quarantined_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "e.csv"
    ev.write_text(
        "user_id,event_type,timestamp\n1,login,2024-01-05T10:00:00Z\n2,login,01/13/2024\n"
    )
    out = tmp_path / "d"
    r = _ingest(capsys, out, "--events", str(ev), "--fail-on", "never")
    assert r.code == 0, r.stderr
    assert [(x["user_id"], x["timestamp"]) for x in _rows(out, "events")] == [
        (1, T(2024, 1, 5, 10))
    ]
    assert _reasons(out, "events") == [
        (
            3,
            "timestamp: '01/13/2024' is a day/month date, read only with the mapping's "
            'formats (e.g. "%m/%d/%Y" or "%d/%m/%Y")',
        )
    ]


def test_an_ambiguous_slash_date_stops_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "e.csv"
    ev.write_text(
        "user_id,event_type,timestamp\n1,login,2024-01-05T10:00:00Z\n2,login,03/04/2024\n"
    )
    r = _ingest(capsys, tmp_path / "d", "--events", str(ev), "--fail-on", "never")
    assert r.code == 2
    assert r.stderr.strip() == (
        "error: events.timestamp: '03/04/2024' (line 3) has an ambiguous date order "
        "(day/month or month/day?): set it in the mapping file, "
        'e.g. formats: {events.timestamp: "%m/%d/%Y"}'
    )


def test_currency_codes_are_normalised_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "e.csv"
    ev.write_text(
        "user_id,event_type,product_id,timestamp,amount,currency\n"
        "1,purchased,1,2024-01-05T10:00:00Z,10.00,usd\n"
        "2,purchased,1,2024-01-05T11:00:00Z,5.00, USD \n"
        "3,purchased,1,2024-01-05T12:00:00Z,7.00,US Dollar\n"
        "4,purchased,1,2024-01-05T13:00:00Z,8.00,eur\n"
    )
    out = tmp_path / "d"
    r = _ingest(capsys, out, "--events", str(ev), "--fail-on", "never")
    assert r.code == 0, r.stderr
    got = sorted((x["user_id"], x["currency"]) for x in _rows(out, "events"))
    assert got == [(1, "USD"), (2, "USD"), (4, "EUR")]
    assert _reasons(out, "events") == [
        (4, "currency: 'US Dollar' is not a three-letter ISO 4217 code (like USD or EUR)")
    ]


def test_report_lists_custom_event_names_with_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = tmp_path / "e.csv"
    ev.write_text(
        "user_id,event_type,product_id,timestamp\n"
        "1,checkout_completed,1,2024-01-05T10:00:00Z\n"
        "2,checkout_completed,1,2024-01-05T11:00:00Z\n"
        "1,purchase,1,2024-01-05T12:00:00Z\n"
        "1,PAGE_VIEW,1,2024-01-05T13:00:00Z\n"
        "2,login,,2024-01-05T14:00:00Z\n"
    )
    r = _ingest(capsys, tmp_path / "d", "--events", str(ev), "--fail-on", "never")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["custom_event_types"] == [
        {"event_type": "checkout_completed", "rows": 2},
        {"event_type": "PAGE_VIEW", "rows": 1},
    ]

    from ducky.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["--data", str(tmp_path / "d2"), "ingest", "--events", str(ev)])
    assert not e.value.code
    out = capsys.readouterr().out
    assert "custom event names" in out and "checkout_completed" in out and "PAGE_VIEW" in out
