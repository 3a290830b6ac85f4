"""`ducky ingest --from postgresql://... [--incremental]`: the exact accounting, row by row.

A hand-made shop database whose events hold, besides 40 plain rows, each case that can make a
snapshot's rows disagree with the database's count unless it is accounted for:

- two identical purchase rows (same user, product and instant: two units bought at one
  checkout). This is what the "120-row gap" at 10M events was: /tmp/perf-10m holds exactly 120
  such extra rows (`count(*) - count(DISTINCT *)`), all purchases. Ingest keeps one and counts
  the other in `duplicates`, so `rows_in = loaded + quarantined + duplicates + held_back` holds
  and the copy has 120 rows fewer than the database;
- an event without a timestamp: `timestamp >= watermark` is never true for NULL, so an
  incremental run must read such rows explicitly, or a new one is never counted anywhere;
- an event dated 2099: quarantined as `timestamp_not_future`, and it must not become the
  watermark (every real event after it would never be read again);
- an orphan user_id (quarantined as `user_exists`).

Each run's accounting is compared with numbers worked out by hand from those rows, and with the
database's own count.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.cli_support import run_cli
from tests.engines.postgres.test_pg_safety import snapshot

pytestmark = pytest.mark.postgres

DDL = """
CREATE TABLE users (user_id INTEGER PRIMARY KEY, signup_date DATE NOT NULL, country TEXT);
CREATE TABLE products (product_id INTEGER PRIMARY KEY, category TEXT NOT NULL,
                       price NUMERIC(10, 2) NOT NULL);
CREATE TABLE events (user_id INTEGER, event_type TEXT, product_id INTEGER,
                     "timestamp" TIMESTAMP);
"""
T0 = dt.datetime(2025, 3, 1)
PAIR = (2, "purchased", 11, dt.datetime(2025, 3, 3, 12, 0))  # twice: two units at one checkout
FUTURE = (4, "viewed", 11, dt.datetime(2099, 1, 1))
NO_TIME = (3, "viewed", 10, None)
ORPHAN = (99, "viewed", 10, dt.datetime(2025, 3, 2, 10, 0))


def _plain(n: int, start: dt.datetime) -> list[tuple[Any, ...]]:
    """n valid events, one an hour from `start`, users 1..5, alternating view / cart."""
    kinds = ("viewed", "add-to-cart")
    return [(1 + i % 5, kinds[i % 2], 10 + i % 2, start + dt.timedelta(hours=i)) for i in range(n)]


def _insert(dsn: str, rows: list[tuple[Any, ...]]) -> None:
    with psycopg.connect(dsn, autocommit=True) as c, c.cursor() as cur:
        cur.executemany("INSERT INTO events VALUES (%s, %s, %s, %s)", rows)


def _count(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute("SELECT count(*) FROM events").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def shop(pg_fresh_dsn: Callable[[], str]) -> str:
    dsn = pg_fresh_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(DDL)
        with c.cursor() as cur:
            cur.executemany(
                "INSERT INTO users VALUES (%s, %s, %s)",
                [(u, dt.date(2025, 1, 1), "DE") for u in range(1, 6)],
            )
            cur.executemany(
                "INSERT INTO products VALUES (%s, %s, %s)",
                [(10, "books", "12.50"), (11, "games", "30.00")],
            )
    _insert(dsn, [*_plain(40, T0), PAIR, PAIR, NO_TIME, ORPHAN, FUTURE])
    return dsn


def _ingest(data: Path, *args: str) -> dict[str, Any]:
    r = run_cli("--data", str(data), "ingest", "--json", *args)
    assert r.code == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def _events(doc: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in doc["accounting"] if a["table"] == "events")


def _nums(acct: dict[str, Any]) -> tuple[int, ...]:
    keys = ("rows_in", "loaded", "quarantined", "duplicates_in_source", "already_present")
    return (*(acct[k] for k in keys), acct["held_back"])


def test_exact_accounting_over_three_runs(shop: str, tmp_path: Path) -> None:
    before = snapshot(shop)
    data = tmp_path / "copy"

    # Run 1: 45 rows in the database = 41 loaded + 3 quarantined + 1 duplicate.
    doc = _ingest(data, "--from", shop)
    assert _count(shop) == 45 == doc["pg_source"]["tables"]["events"]["rows"]
    assert _nums(_events(doc)) == (45, 41, 3, 1, 0, 0)
    # The watermark is the pair's instant, the latest real event, not the 2099 row.
    assert doc["pg_source"]["watermark"] == "2025-03-03T12:00:00"
    manifest = json.loads((data / "manifest.json").read_text())
    assert manifest["tables"]["events"]["rows"] == 41
    assert manifest["pg_watermark"] == "2025-03-03T12:00:00"

    # Run 2: the shop wrote a row at the watermark's instant, 40 after it and one without a
    # timestamp. Read: the pair again (at the watermark), those 42, the 2099 row and both
    # timestamp-less rows = 46 = 41 loaded + 3 quarantined + 1 duplicate in the source + 1
    # already present. The 40 plain rows and the orphan of run 1 are not read again.
    at_mark = (1, "viewed", 10, PAIR[3])
    _insert(shop, [at_mark, *_plain(40, dt.datetime(2025, 3, 4)), (2, "viewed", 11, None)])
    doc = _ingest(data, "--from", shop, "--incremental")
    assert doc["pg_source"]["since"] == "2025-03-03T12:00:00"
    assert doc["pg_source"]["tables"]["events"]["rows"] == 46
    assert _nums(_events(doc)) == (46, 41, 3, 1, 1, 0)
    assert doc["pg_source"]["watermark"] == "2025-03-05T15:00:00"  # 2025-03-04 + 39 h
    manifest = json.loads((data / "manifest.json").read_text())
    assert manifest["tables"]["events"]["rows"] == 82
    # The copy holds every distinct real row of the database, no more.
    with psycopg.connect(shop, autocommit=True) as c:
        row = c.execute(
            "SELECT count(*) FROM (SELECT DISTINCT * FROM events WHERE user_id <= 5 "
            "AND \"timestamp\" <= '2026-01-01') d"
        ).fetchone()
    assert row is not None and row[0] == 82

    # Run 3: ten more timestamp-less rows make `required` fail (12 of 16 rows read): nothing
    # merges, the 2 new rows are held back, and the watermark stays where it was, so the next
    # run reads them again.
    _insert(shop, [(1, "viewed", 10, None)] * 10 + _plain(2, dt.datetime(2025, 3, 6)))
    r = run_cli("--data", str(data), "ingest", "--json", "--from", shop, "--incremental")
    assert r.code == 1 and "events.required" in r.stderr and "nothing merged" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["merged"] is False
    # Read: the row at the watermark, 2 new, the 2099 row, 12 without a timestamp = 16.
    assert _nums(_events(doc)) == (16, 0, 13, 0, 1, 2)
    manifest = json.loads((data / "manifest.json").read_text())
    assert manifest["tables"]["events"]["rows"] == 82
    assert manifest["pg_watermark"] == "2025-03-05T15:00:00"

    for a in doc["accounting"]:  # every table: the promise itself
        assert a["rows_in"] == a["loaded"] + a["quarantined"] + a["duplicates"] + a["held_back"]
    # Read-only: the shop's database has only what the shop itself wrote (no new object).
    after = snapshot(shop)
    assert set(after) == set(before) and after["public.users"] == before["public.users"]
