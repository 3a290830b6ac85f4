"""Every defect kind in tests/data/ingest/ is caught with the exact count, check and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ducky.ingest import run_ingest
from ducky.ingest.quarantine import read_quarantine

DATA = Path(__file__).parents[1] / "data" / "ingest"
SOURCES = {
    "users": str(DATA / "users.csv"),
    "products": str(DATA / "products.json"),
    "events": str(DATA / "events.ndjson"),
}

# (record, checks, reason) of every quarantined row, per table: the answer key of the fixtures.
EXPECTED = {
    "users": [
        (3, "unique_key", "user_id: 2 appears again at line 10; the later row was kept"),
        (4, "type", "user_id: 'abc' is not an integer"),
        (5, "required", "user_id: missing"),
        (6, "signup_not_future", "signup_date: 2099-01-01 is in the future"),
        (7, "age_range", "age: 7 is outside 13..120"),
        (9, "parse", "line 9 has 2 field(s), the header has 9 (truncated or malformed line)"),
        (
            11,
            "encoding",
            "line 11 is not valid UTF-8 (byte 0xe9 at column 20; latin-1 or cp1252?)",
        ),
        (14, "type", "age: 'abc' is not a 32-bit integer"),
    ],
    "products": [
        (3, "price_positive", "price: -5 is not > 0"),
        (
            4,
            "type",
            "price: '12.345' is not a decimal with at most 2 places that fits DECIMAL(12,2)",
        ),
        (5, "required", "product_id: missing"),
        (6, "required", "category: missing"),
        (8, "parse", "record 8 is a JSON string, not an object"),
    ],
    "events": [
        (5, "user_exists", "user_id: 99 is not in users (orphan)"),
        (6, "product_exists", "product_id: 999 is not in products (orphan)"),
        # row 7 ('clicked') is a custom event and is kept (issue 15)
        (8, "timestamp_not_future", "timestamp: 2099-01-01T00:00:00Z is in the future"),
        (9, "type", "timestamp: 'yesterday' is not a timestamp (ISO 8601)"),
        (10, "type", "user_id: 'x2' is not an integer"),
        # row 11 (a purchase without a product) is kept with a product_for_event warning
        (12, "parse", "line 12 is not valid JSON (truncated or malformed)"),
        (14, "login_without_product", "product_id: a login event has no product, got 10"),
        (
            15,
            "encoding",
            "line 15 is not valid UTF-8 (byte 0xe9 at column 107; latin-1 or cp1252?)",
        ),
    ],
}
ACCOUNTS = {  # rows_in, loaded, quarantined, duplicates
    "users": (13, 4, 8, 1),
    "products": (9, 3, 5, 1),
    "events": (15, 6, 8, 1),
}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("defects") / "data"
    result = run_ingest(out, SOURCES, mapping=DATA / "map.yaml", fail_on="never")
    return out, result


def test_accounting_is_exact(ingested: tuple[Path, object]) -> None:
    _, result = ingested
    got = {
        a.table: (a.rows_in, a.loaded, a.quarantined, a.duplicates)
        for a in result.accounts  # type: ignore[attr-defined]
    }
    assert got == ACCOUNTS
    for a in result.accounts:  # type: ignore[attr-defined]
        assert a.rows_in == a.loaded + a.quarantined + a.duplicates + a.held_back


@pytest.mark.parametrize("table", ["users", "products", "events"])
def test_every_defect_is_quarantined_with_its_reason(
    ingested: tuple[Path, object], table: str
) -> None:
    out, _ = ingested
    q = read_quarantine(out, table).sort_by("record")
    got = list(
        zip(q["record"].to_pylist(), q["checks"].to_pylist(), q["reason"].to_pylist(), strict=True)
    )
    assert got == EXPECTED[table]
    sources = set(q["source"].to_pylist())
    assert sources == {SOURCES[table]}
    kinds = set(q["record_kind"].to_pylist())
    assert kinds == {"record" if table == "products" else "line"}


def test_raw_records_are_kept(ingested: tuple[Path, object]) -> None:
    import json

    out, _ = ingested
    users = read_quarantine(out, "users").sort_by("record").to_pylist()
    by_rec = {r["record"]: r["raw"] for r in users}
    assert json.loads(by_rec[4])["user_id"] == "abc"
    assert json.loads(by_rec[9]) == "7,2025-01-0"  # the truncated line as it was
    assert json.loads(by_rec[11]) == "8,2025-01-08,FR,Ren\\xe9,33,m,Lyon,basic,mobile"
    products = {r["record"]: r["raw"] for r in read_quarantine(out, "products").to_pylist()}
    assert json.loads(products[3]) == {
        "id": "12",
        "cat": "home",
        "unit_price": "-5",
        "title": "broken",
    }


def test_good_rows_are_typed_and_normalized(ingested: tuple[Path, object]) -> None:
    import datetime as dt
    from decimal import Decimal

    out, _ = ingested
    users = pq.read_table(out / "users.parquet").to_pylist()
    assert [(u["user_id"], u["name"], u["country"]) for u in users] == [
        (1, "Ada", "US"),
        (2, "Bob", "FR"),  # the later row of a repeated key wins
        (9, "Gus", "us"),  # country_code is a warn check: counted, not rejected
        (10, "Hal", "US"),
    ]
    assert users[3]["age"] is None
    products = pq.read_table(out / "products.parquet").to_pylist()
    assert [(p["product_id"], p["price"]) for p in products] == [
        (10, Decimal("100.00")),
        (11, Decimal("50.50")),
        (20, Decimal("20.25")),
    ]
    import pyarrow.dataset as ds

    ev = ds.dataset(out / "events", format="parquet", partitioning="hive").to_table()
    rows = sorted(
        (r["user_id"], r["event_type"], r["product_id"], r["timestamp"])
        for r in ev.select(["user_id", "event_type", "product_id", "timestamp"]).to_pylist()
    )
    assert rows == [
        (1, "purchased", 10, dt.datetime(2025, 1, 5, 9, 5)),  # +01:00 converted to UTC
        (1, "viewed", 10, dt.datetime(2025, 1, 5, 10, 0)),
        (2, "clicked", 10, dt.datetime(2025, 1, 6, 9, 0)),  # a custom event, kept
        (2, "login", None, dt.datetime(2025, 1, 6, 8, 0)),
        (2, "purchased", None, dt.datetime(2025, 1, 7, 10, 0)),  # no product: a warning
        (10, "add-to-cart", 20, dt.datetime(2025, 2, 2, 12, 0)),
    ]


def test_check_counts_and_statuses(ingested: tuple[Path, object]) -> None:
    _, result = ingested
    failed = {
        (c.table, c.check): (c.failed, c.status)
        for c in result.checks  # type: ignore[attr-defined]
        if c.failed
    }
    assert failed[("users", "type")] == (2, "fail")
    assert failed[("users", "country_code")] == (1, "warn")
    assert failed[("users", "duplicate")] == (1, "warn")
    assert failed[("products", "required")] == (2, "fail")
    assert failed[("events", "user_exists")] == (1, "fail")
    assert failed[("events", "freshness")] == (1, "warn")
    assert ("events", "volume") not in failed
    q = result.metrics  # type: ignore[attr-defined]
    assert q["events"]["referential_integrity"] == pytest.approx(13 / 15, abs=1e-6)
    assert q["users"]["referential_integrity"] is None
    assert q["products"]["completeness"] == pytest.approx(6 / 9, abs=1e-6)


def test_toml_mapping_gives_the_same_result(tmp_path: Path) -> None:
    r = run_ingest(
        tmp_path / "d", {"products": SOURCES["products"]}, DATA / "map.toml", fail_on="never"
    )
    assert [(a.rows_in, a.loaded, a.quarantined, a.duplicates) for a in r.accounts] == [
        ACCOUNTS["products"]
    ]


def test_failing_check_merges_nothing_but_keeps_quarantine(
    handmade_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(handmade_dir, data)
    before = {p.relative_to(data): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    r = run_ingest(data, SOURCES, mapping=DATA / "map.yaml")  # default --fail-on fail
    assert not r.merged and r.tripped
    after = {p.relative_to(data): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    added = set(after) - set(before)
    assert all(str(p).startswith("quarantine/") for p in added) and len(added) == 3
    assert {k: v for k, v in after.items() if k in before} == before  # tables untouched
    held = {a.table: (a.loaded, a.held_back, a.already_present) for a in r.accounts}
    # products 10, 11, 20 are identical to the hand-made catalog: already present, not held.
    assert held == {"users": (0, 4, 0), "products": (0, 0, 3), "events": (0, 6, 0)}
    for a in r.accounts:
        assert a.rows_in == a.quarantined + a.duplicates + a.held_back
