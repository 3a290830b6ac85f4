"""A shop's real data goes in as it is (issue 15), on hand-made files written for this test.

tests/data/seed004/ holds seed 004's two CSVs (user_attributes.csv, user_events.csv with the
seed's event_name values, no products table) and a mapping that only renames columns. The
expected users are counted by hand from those eight users and fifteen events.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from ducky.ingest import run_ingest

SEED004 = Path(__file__).parents[1] / "data" / "seed004"


@pytest.fixture(scope="module")
def seed004_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("seed004") / "data"
    result = run_ingest(
        out,
        {
            "users": str(SEED004 / "user_attributes.csv"),
            "events": str(SEED004 / "user_events.csv"),
        },
        mapping=SEED004 / "mapping.yaml",
        now=dt.datetime(2024, 4, 1),
    )
    return out, result


def test_seed004_ingests_with_only_a_column_mapping(seed004_dir: tuple[Path, Any]) -> None:
    out, result = seed004_dir
    acc = {a.table: a for a in result.accounts}
    assert (acc["users"].rows_in, acc["users"].loaded, acc["users"].quarantined) == (8, 8, 0)
    assert (acc["events"].rows_in, acc["events"].loaded, acc["events"].quarantined) == (15, 15, 0)
    ev = ds.dataset(out / "events", format="parquet", partitioning="hive").to_table()
    names = sorted(set(ev.column("event_type").to_pylist()))
    # the seed's names map onto the canonical types; its own LOGOUT / PAGE_VIEW are kept
    assert names == ["LOGOUT", "PAGE_VIEW", "add-to-cart", "login", "purchased"]


@pytest.fixture(scope="module")
def client(seed004_dir: tuple[Path, Any]) -> Any:
    from fastapi.testclient import TestClient

    from ducky.api.app import create_app

    with TestClient(create_app(seed004_dir[0])) as c:
        yield c


def test_seed004_required_segments_over_post_segment(client: Any) -> None:
    # 1. age 25..34: users 1 (25), 2 (34), 5 (30), 6 (29), 8 (33); 3 is 35 and 4 is 24
    age = {
        "user_filters": [
            {"field": "age", "operator": "gte", "value": 25},
            {"field": "age", "operator": "lte", "value": 34},
        ],
        "logic_operator": "AND",
    }
    r = client.post("/segment", json=age)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "user_ids": [1, 2, 5, 6, 8],
        "total_count": 5,
        "filters_applied": {
            "user_filters": age["user_filters"],
            "event_filters": [],
            "logic_operator": "AND",
        },
    }
    # 2. California + LOGIN: 1, 3, 5, 7 (user 2 is in California but only viewed and logged out)
    ca = {
        "user_filters": [{"field": "location", "operator": "eq", "value": "California"}],
        "event_filters": [{"event_name": "LOGIN", "operator": "gte", "count": 1}],
        "logic_operator": "AND",
    }
    body = client.post("/segment", json=ca).json()
    assert body["user_ids"] == [1, 3, 5, 7]
    assert body["total_count"] == 4
    assert body["filters_applied"] == {**ca}
    # the seed's limit caps user_ids, not total_count
    capped = client.post("/segment", json={**ca, "limit": 2}).json()
    assert (capped["user_ids"], capped["total_count"]) == ([1, 3], 4)


def test_seed004_values_case_and_custom_events(client: Any) -> None:
    premium = {
        "user_filters": [{"field": "subscription_plan", "operator": "eq", "value": "Premium"}]
    }
    assert client.post("/segment", json=premium).json()["user_ids"] == [1, 4, 7]
    lower = {"user_filters": [{"field": "subscription_plan", "operator": "eq", "value": "premium"}]}
    assert client.post("/segment", json=lower).json()["user_ids"] == []  # exact by default
    logout = {"event_filters": [{"event_name": "LOGOUT", "operator": "gte", "count": 1}]}
    assert client.post("/segment", json=logout).json()["user_ids"] == [1, 2]
    carts = {
        "event_filters": [
            {"event_name": "ADDED_TO_CART", "operator": "gte", "count": 1},
            {"event_name": "PURCHASE_MADE", "operator": "eq", "count": 0},
        ]
    }
    assert client.post("/segment", json=carts).json()["user_ids"] == [6]


def test_seed004_examples_and_errors(client: Any) -> None:
    examples = client.get("/examples").json()
    assert set(examples) >= {"age_targeting", "california_login", "cart_abandonment"}
    counts = {k: client.post("/segment", json=v).json()["total_count"] for k, v in examples.items()}
    assert counts["age_targeting"] == 5
    assert counts["california_login"] == 4
    assert counts["cart_abandonment"] == 1
    bad = client.post("/segment", json={"user_filters": [{"field": "nope", "operator": "eq"}]})
    assert bad.status_code == 422
    assert bad.json()["problems"]
    assert client.post("/segment", content=b"{not json").status_code == 400


SHAPES = Path(__file__).parents[1] / "data" / "shapes"


def _rows(dd: Any, table: str) -> list[dict[str, Any]]:
    return (
        ds.dataset(dd.path / table, format="parquet", partitioning="hive")
        .to_table()
        .drop_columns(["month"] if table == "events" else [])
        .to_pylist()
        if table == "events"
        else ds.dataset(dd.path / f"{table}.parquet", format="parquet").to_table().to_pylist()
    )


@pytest.mark.parametrize(
    ("source", "mapping", "ids"),
    [
        # GA4-like export: string pseudo ids, SKU strings, zone offsets, no users or products
        ("ga4_events.ndjson", "ga4_mapping.yaml", "string"),
        # REES46-like single events file: integer ids, "... UTC" times, remove_from_cart kept
        ("rees46_events.csv", "rees46_mapping.yaml", "int64"),
    ],
)
def test_exported_events_give_exact_wau_and_cohort(
    tmp_path: Path, source: str, mapping: str, ids: str
) -> None:
    from ducky.cohort import compute
    from ducky.datasets import DataDir
    from ducky.queries import run_query
    from tests import reference

    out = tmp_path / "data"
    r = run_ingest(
        out,
        {"events": str(SHAPES / source)},
        mapping=SHAPES / mapping,
        fail_on="fail",
        now=dt.datetime(2024, 5, 1),
    )
    # REES46's mapping also takes a catalog from the events (a second account: products)
    acct = {a.table: a for a in r.accounts}["events"]
    assert acct.quarantined == 0 and acct.loaded == acct.rows_in
    dd = DataDir(out)
    assert dd.id_types() == {"user_id": ids, "product_id": ids}
    derived = dd.manifest().extra["derived"]
    assert set(derived) == {"users", "products"}
    events, users = _rows(dd, "events"), _rows(dd, "users")
    # users derived from events: signup = the date of each user's first event
    first: dict[Any, dt.date] = {}
    for e in events:
        d = e["timestamp"].date()
        first[e["user_id"]] = min(first.get(e["user_id"], d), d)
    assert {u["user_id"]: u["signup_date"] for u in users} == first
    for opts in ({}, {"mode": "native", "database": str(tmp_path / "n.duckdb")}):
        got = run_query(dd, "wau", engine_options=opts).to_pylist()
        assert got == reference.wau(events), opts
    result = compute(dd, "duckdb", weeks=4)
    assert "Users were derived from events" in result.definition
    tidy = result.tidy.to_pylist()
    want = reference.cohort(users, events, 4)
    assert [(x["cohort_month"], x["week"], x["retained"]) for x in tidy] == [
        (w["cohort_month"], w["week"], w["retained"]) for w in want
    ]


def _revenue(dd: Any, tmp_path: Path) -> list[list[dict[str, Any]]]:
    """The revenue answer on DuckDB over Parquet and on DuckDB's native file."""
    from ducky.queries import run_query

    return [
        run_query(dd, "revenue", engine_options=opts).to_pylist()
        for opts in ({}, {"mode": "native", "database": str(tmp_path / "n.duckdb")})
    ]


def test_rees46_revenue_from_the_events_own_prices_and_categories(tmp_path: Path) -> None:
    """REES46 has no catalog: each event carries category_code and the price of the moment.
    The mapping takes the price as a purchase's amount and the catalog from the events."""
    from decimal import Decimal

    from ducky.datasets import DataDir
    from tests import reference

    out = tmp_path / "data"
    r = run_ingest(
        out,
        {"events": str(SHAPES / "rees46_events.csv")},
        mapping=SHAPES / "rees46_mapping.yaml",
        fail_on="fail",
        now=dt.datetime(2024, 5, 1),
    )
    acc = {a.table: a for a in r.accounts}
    assert (acc["events"].rows_in, acc["events"].loaded, acc["events"].quarantined) == (10, 10, 0)
    # three products named by the events, each read once: nothing quarantined
    assert (acc["products"].rows_in, acc["products"].loaded, acc["products"].quarantined) == (
        3,
        3,
        0,
    )
    assert "products_from_events" in acc["products"].source
    dd = DataDir(out)
    assert "products_from_events" in dd.manifest().extra["derived"]["products"]
    products = {p["product_id"]: p for p in _rows(dd, "products")}
    # the last non-empty value of each column; no event names 44600062's category
    assert {k: (p["category"], p["price"], p["name"]) for k, p in products.items()} == {
        44600062: ("unknown", Decimal("35.79"), "shiseido"),
        3900821: ("appliances.environment.water_heater", Decimal("31.50"), "aqua"),
        17200506: ("furniture.living_room.sofa", Decimal("499.00"), None),
    }
    # Counted by hand: the sofa was viewed at 543.10 and bought at 499.00; two water heaters
    # at 31.50 by two users; the shiseido purchase has no category in the file.
    want = [
        ("furniture.living_room.sofa", "USD", Decimal("499.00"), 1, 1, 1, Decimal("499.00")),
        ("appliances.environment.water_heater", "USD", Decimal("63.00"), 2, 2, 2, Decimal("31.50")),
        ("unknown", "USD", Decimal("35.79"), 1, 1, 1, Decimal("35.79")),
    ]
    ref = reference.revenue_orders(_rows(dd, "events"), list(products.values()))
    keys = ("category", "currency", "revenue", "purchases", "orders", "buyers", "avg_order_value")
    assert [tuple(x[k] for k in keys) for x in ref] == want
    for got in _revenue(dd, tmp_path):
        assert [tuple(x[k] for k in keys) for x in got] == want


def test_catalog_from_events_upserts_and_refuses_mixups(tmp_path: Path) -> None:
    """A second ingest with the same mapping keeps the earlier products and takes the newer
    values; a typo, a catalog file beside the section, and a missing column are one line each;
    the revenue definition says where the catalog came from."""
    from decimal import Decimal

    from click.testing import CliRunner

    from ducky.cli.main import cli
    from ducky.datasets import DataDir
    from ducky.errors import UserError

    mapping = SHAPES / "rees46_mapping.yaml"
    out = tmp_path / "data"
    run_ingest(out, {"events": str(SHAPES / "rees46_events.csv")}, mapping=mapping)
    later = tmp_path / "later.csv"
    later.write_text(
        "event_time,event_type,product_id,category_code,brand,price,user_id\n"
        "2019-11-02 09:00:00 UTC,purchase,3900821,appliances.environment.water_heater,aqua,"
        "29.90,554748717\n"
        "2019-11-02 09:05:00 UTC,view,5100067,electronics.audio.headphone,sony,59.00,519107250\n",
        encoding="utf-8",
    )
    r = run_ingest(out, {"events": str(later)}, mapping=mapping)
    acc = {a.table: a for a in r.accounts}
    assert (acc["products"].inserted, acc["products"].updated) == (1, 1)
    products = {
        p["product_id"]: (p["category"], p["price"]) for p in _rows(DataDir(out), "products")
    }
    assert products == {
        44600062: ("unknown", Decimal("35.79")),
        3900821: ("appliances.environment.water_heater", Decimal("29.90")),
        17200506: ("furniture.living_room.sofa", Decimal("499.00")),
        5100067: ("electronics.audio.headphone", Decimal("59.00")),
    }
    res = CliRunner().invoke(cli, ["--data", str(out), "--json", "query", "revenue"])
    assert res.exit_code == 0, res.output
    assert "Products were derived from the events" in res.output

    typo = tmp_path / "typo.yaml"
    typo.write_text("products_from_events:\n  categroy: category_code\n  price: price\n")
    with pytest.raises(UserError, match="products_from_events has no column 'categroy'"):
        run_ingest(tmp_path / "t", {"events": str(SHAPES / "rees46_events.csv")}, mapping=typo)
    with pytest.raises(UserError, match=r"from a file .* and from the mapping"):
        run_ingest(
            tmp_path / "t",
            {
                "events": str(SHAPES / "rees46_events.csv"),
                "products": str(SHAPES / "techmart_products.csv"),
            },
            mapping=mapping,
        )
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        "events:\n  timestamp: event_time\nproducts_from_events:\n  price: list_price\n"
    )
    with pytest.raises(UserError, match="no such column"):
        run_ingest(tmp_path / "t", {"events": str(SHAPES / "rees46_events.csv")}, mapping=missing)
    assert not (tmp_path / "t").exists()  # nothing written by a refused ingest


def test_techmart_orders_with_quantities_discounts_and_two_currencies(tmp_path: Path) -> None:
    """A TechMart-style transactions export: order ids, quantities, the total paid after
    discounts, two currencies, a refund that is not a purchase; a catalog with other prices."""
    from decimal import Decimal

    from ducky.datasets import DataDir
    from tests import reference

    out = tmp_path / "data"
    r = run_ingest(
        out,
        {
            "events": str(SHAPES / "techmart_transactions.json"),
            "products": str(SHAPES / "techmart_products.csv"),
        },
        mapping=SHAPES / "techmart_mapping.yaml",
        fail_on="fail",
        now=dt.datetime(2024, 5, 1),
    )
    assert all(a.quarantined == 0 and a.loaded == a.rows_in for a in r.accounts)
    dd = DataDir(out)
    events = _rows(dd, "events")
    assert sorted({e["event_type"] for e in events}) == ["purchased", "refunded"]
    # Counted by hand. electronics (USD): 899.00 + 40.00 (two mice for 40, listed 2 x 24.50)
    # + 3 x 24.50 (no amount: quantity x catalog price) = 1012.50 in orders T-1001 and T-1002.
    # fashion (EUR): 30.00 + 19.99 = 49.99 in two orders, AOV 24.995 -> 25.00 (half up).
    # The refunded laptop is activity, not a purchase.
    want = [
        ("electronics", "USD", Decimal("1012.50"), 3, 2, 2, Decimal("506.25")),
        ("fashion", "EUR", Decimal("49.99"), 2, 2, 2, Decimal("25.00")),
    ]
    keys = ("category", "currency", "revenue", "purchases", "orders", "buyers", "avg_order_value")
    ref = reference.revenue_orders(events, _rows(dd, "products"))
    assert [tuple(x[k] for k in keys) for x in ref] == want
    for got in _revenue(dd, tmp_path):
        assert [tuple(x[k] for k in keys) for x in got] == want


def test_ga4_vocabulary_and_string_ids_in_outputs(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ducky.api.app import create_app

    out = tmp_path / "data"
    run_ingest(
        out,
        {"events": str(SHAPES / "ga4_events.ndjson")},
        mapping=SHAPES / "ga4_mapping.yaml",
        now=dt.datetime(2024, 5, 1),
    )
    ev = ds.dataset(out / "events", format="parquet", partitioning="hive").to_table()
    kinds = sorted(set(ev.column("event_type").to_pylist()))
    assert kinds == ["add-to-cart", "login", "page_view", "purchased", "session_start", "viewed"]
    # +01:00 and -02:00 converted to UTC
    ts = sorted(ev.column("timestamp").to_pylist())
    assert dt.datetime(2024, 3, 4, 7, 2) in ts and dt.datetime(2024, 3, 6, 1, 30) in ts
    with TestClient(create_app(out)) as c:
        buyers = {"event_filters": [{"event_name": "purchase", "operator": "gte", "count": 1}]}
        body = c.post("/segment", json=buyers).json()
        assert body["user_ids"] == ["1197363.1706", "4471120.1709"]
        custom = {"where": {"type": "event", "event": "page_view", "op": "gte", "count": 1}}
        assert c.post("/audiences/query", json=custom).json()["user_ids"] == ["3310986.1707"]


def test_quarantine_command_lists_reasons(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from ducky.cli.main import cli

    data = Path(__file__).parents[1] / "data" / "ingest"
    out = tmp_path / "data"
    run_ingest(
        out,
        {
            "users": str(data / "users.csv"),
            "events": str(data / "events.ndjson"),
            "products": str(data / "products.json"),
        },
        mapping=data / "map.yaml",
        fail_on="never",
    )
    r = CliRunner().invoke(cli, ["--data", str(out), "--json", "quarantine", "events"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["count"] == 8
    assert {"record": 10, "reason": "user_id: 'x2' is not an integer"}.items() <= next(
        x for x in doc["rows"] if x["record"] == 10
    ).items()
    text = CliRunner().invoke(cli, ["--data", str(out), "quarantine", "users"])
    assert "age: 7 is outside 13..120" in text.output and "8 quarantined row(s)" in text.output


def test_type_check_counts_rows_not_cells(tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    # row 3 has two bad cells (age, signup_date): one failed row of the `type` check
    users.write_text("user_id,signup_date,age\n1,2024-01-01,30\n2,soon,abc\n3,2024-01-02,40\n")
    r = run_ingest(tmp_path / "data", {"users": str(users)}, fail_on="never")
    (typ,) = [c for c in r.checks if c.check == "type"]
    assert (typ.checked, typ.failed, typ.pass_rate) == (3, 1, pytest.approx(2 / 3, abs=1e-6))
    (acct,) = r.accounts
    assert acct.rows_in == acct.loaded + acct.quarantined + acct.duplicates + acct.held_back


def test_seed000_search_logs_keep_string_ids(tmp_path: Path) -> None:
    # seed 000's Elasticsearch document shape: "abc123", ["p01"], a `Z` timestamp
    ev = tmp_path / "events.ndjson"
    ev.write_text(
        '{"user_id": "abc123", "event_type": "view", "product_id": "p01",'
        ' "timestamp": "2025-04-01T12:00:00Z"}\n'
        '{"user_id": "u001", "event_type": "login", "timestamp": "2025-04-01T12:10:00+02:00"}\n'
    )
    logs = tmp_path / "logs.ndjson"
    logs.write_text(
        '{"user_id": "abc123", "search_query": "red shoes", "clicked_product_ids": ["p01",'
        ' "p02"], "timestamp": "2025-04-01T12:30:00Z"}\n'
        '{"user_id": "u001", "search_query": "x", "clicked_product_ids": [],'
        ' "timestamp": "2025-04-01 12:30:00"}\n'
    )
    out = tmp_path / "data"
    r = run_ingest(out, {"events": str(ev), "search_logs": str(logs)}, now=dt.datetime(2025, 4, 2))
    assert [(a.table, a.loaded, a.quarantined) for a in r.accounts] == [
        ("events", 2, 0),
        ("search_logs", 2, 0),
    ]
    rows = ds.dataset(out / "search_logs", partitioning="hive").to_table().to_pylist()
    assert [(x["user_id"], x["clicked_product_ids"], x["timestamp"]) for x in rows] == [
        ("abc123", ["p01", "p02"], dt.datetime(2025, 4, 1, 12, 30)),
        ("u001", [], dt.datetime(2025, 4, 1, 12, 30)),
    ]
    events = ds.dataset(out / "events", partitioning="hive").to_table().to_pylist()
    assert sorted((e["user_id"], e["event_type"], e["timestamp"]) for e in events) == [
        ("abc123", "viewed", dt.datetime(2025, 4, 1, 12, 0)),
        ("u001", "login", dt.datetime(2025, 4, 1, 10, 10)),  # +02:00 converted to UTC
    ]


def test_slash_dates_need_a_format_and_then_parse(tmp_path: Path) -> None:
    from ducky.errors import UserError

    users = tmp_path / "users.csv"
    users.write_text("user_id,signup_date\n1,3/14/2023\n2,03/04/2023\n")
    # 3/14 reads one way only (its row alone would be quarantined); 03/04 reads both ways
    with pytest.raises(
        UserError, match=r"users.signup_date: '03/04/2023' \(line 3\) has an ambiguous"
    ):
        run_ingest(tmp_path / "a", {"users": str(users)})
    mapping = tmp_path / "m.yaml"
    mapping.write_text('formats:\n  users.signup_date: "%m/%d/%Y"\n')
    out = tmp_path / "b"
    r = run_ingest(out, {"users": str(users)}, mapping=mapping, now=dt.datetime(2024, 1, 1))
    assert r.accounts[0].loaded == 2
    got = ds.dataset(out / "users.parquet").to_table().to_pylist()
    assert [(u["user_id"], u["signup_date"]) for u in got] == [
        (1, dt.date(2023, 3, 14)),
        (2, dt.date(2023, 3, 4)),
    ]


def test_epoch_seconds_and_millis(tmp_path: Path) -> None:
    ev = tmp_path / "events.csv"
    # 1709553600 = 2024-03-04 12:00:00 UTC, in seconds and in milliseconds
    ev.write_text("user_id,event_type,timestamp\n1,login,1709553600\n2,login,1709553600500\n")
    out = tmp_path / "data"
    run_ingest(out, {"events": str(ev)}, now=dt.datetime(2024, 4, 1))
    got = ds.dataset(out / "events", partitioning="hive").to_table().to_pylist()
    assert sorted((e["user_id"], e["timestamp"]) for e in got) == [
        (1, dt.datetime(2024, 3, 4, 12, 0)),
        (2, dt.datetime(2024, 3, 4, 12, 0, 0, 500000)),
    ]


def test_nul_byte_and_huge_field_are_quarantined(tmp_path: Path) -> None:
    users = tmp_path / "u.csv"
    users.write_bytes(
        b"user_id,signup_date,name\n1,2024-01-01,ok\n2,2024-01-02,bad\x00name\n"
        b"3,2024-01-03," + b"x" * (140 * 1024) + b"\n4,2024-01-04,fine\n"
    )
    out = tmp_path / "data"
    r = run_ingest(out, {"users": str(users)}, fail_on="never", now=dt.datetime(2024, 2, 1))
    (a,) = r.accounts
    assert (a.rows_in, a.loaded, a.quarantined) == (4, 2, 2)
    assert a.rows_in == a.loaded + a.quarantined + a.duplicates + a.held_back
    from ducky.ingest.quarantine import read_quarantine

    reasons = sorted(read_quarantine(out, "users")["reason"].to_pylist())
    assert reasons == [
        "name: contains a NUL byte (limit: no NUL, at most 131072 bytes)",
        "name: is 143360 bytes long (limit: no NUL, at most 131072 bytes)",
    ]
