"""A shop whose PostgreSQL tables key users and products by its own strings ('C-0001', 'SKU-9',
and '007', which must stay '007' and not become the user '7'), read in place and copied with
`ingest --from`.

The ids follow the source (docs/POSTGRES.md, "Ids"): text columns are read as strings, integer
columns as BIGINT, and a mapping's `id_types:` overrides both. The answers (wau, revenue,
cohort, an audience) equal the independent reference and the same rows in a data directory
with string ids; `ingest --from` (and `--incremental`) writes string ids; the shop's schema
is unchanged afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from ducky.datasets import DataDir
from ducky.engines.postgres.source import PgSource, SourceMapping, SourceTable, decide_id_types
from ducky.queries import run_query
from tests import handmade
from tests.cli_support import run_cli
from tests.engines.postgres.test_pg_safety import snapshot
from tests.engines.postgres.test_pg_source import RENAMED, _expected, _fill

pytestmark = pytest.mark.postgres

# '007' and '7' are two users: read as integers they would be one.
USER = {1: "C-0001", 2: "007", 3: "C-0003", 4: "7", 5: "C-0005", 6: "C-000006"}
PRODUCT = {10: "SKU-9", 11: "011", 20: "SKU-20", 30: "30"}
STRING_IDS = {"user_id": "string", "product_id": "string"}

DDL = """
CREATE SCHEMA shop;
CREATE TABLE shop.customers (customer_id TEXT PRIMARY KEY, signup DATE NOT NULL, country TEXT);
CREATE TABLE shop.catalog (sku VARCHAR(32) PRIMARY KEY, category VARCHAR(40) NOT NULL,
                           price NUMERIC(10, 2) NOT NULL);
CREATE TABLE shop.page_events (customer_id TEXT NOT NULL, action VARCHAR(20) NOT NULL,
                               sku VARCHAR(32), event_time TIMESTAMPTZ NOT NULL);
CREATE INDEX shop_page_events_customer ON shop.page_events (customer_id);
"""
MAPPING = """\
schema: shop
tables: {users: customers, products: catalog, events: page_events}
users: {user_id: customer_id, signup_date: signup}
products: {product_id: sku}
events: {user_id: customer_id, product_id: sku, event_type: action, timestamp: event_time}
event_types: {view: viewed, cart: add-to-cart, purchase: purchased}
"""


def _event_row(e: dict[str, Any]) -> tuple[Any, ...]:
    return (
        USER[e["user_id"]],
        RENAMED.get(e["event_type"], e["event_type"]),
        None if e["product_id"] is None else PRODUCT[e["product_id"]],
        e["timestamp"].replace(tzinfo=dt.UTC),
    )


def _fill_text(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(DDL)
        with c.cursor() as cur:
            cur.executemany(
                "INSERT INTO shop.customers VALUES (%s, %s, %s)",
                [(USER[u["user_id"]], u["signup_date"], u["country"]) for u in handmade.USERS],
            )
            cur.executemany(
                "INSERT INTO shop.catalog VALUES (%s, %s, %s)",
                [(PRODUCT[p["product_id"]], p["category"], p["price"]) for p in handmade.PRODUCTS],
            )
            cur.executemany(
                "INSERT INTO shop.page_events VALUES (%s, %s, %s, %s)",
                [_event_row(e) for e in handmade.EVENTS],
            )


@pytest.fixture
def text_shop(pg_fresh_dsn: Callable[[], str], tmp_path: Path) -> tuple[str, Path]:
    dsn = pg_fresh_dsn()
    _fill_text(dsn)
    mapping = tmp_path / "shop.yaml"
    mapping.write_text(MAPPING)
    return dsn, mapping


@pytest.fixture(scope="module")
def string_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same rows as a data directory with string ids, written directly (not via ingest)."""
    from ducky.datasets import DatasetWriter
    from ducky.schema import arrow_schema

    def rows(table: str, data: list[dict[str, Any]]) -> pa.Table:
        schema = arrow_schema(table, STRING_IDS)
        out = []
        for r in data:
            r = dict(r)
            if "user_id" in r:
                r["user_id"] = USER[r["user_id"]]
            if r.get("product_id") is not None:
                r["product_id"] = PRODUCT[r["product_id"]]
            out.append({c: r.get(c) for c in schema.names})
        return pa.Table.from_pylist(out, schema=schema)

    path = tmp_path_factory.mktemp("string_ids") / "data"
    with DatasetWriter(path, producer="tests.pg_source_string_ids") as w:
        w.write_table("users", rows("users", handmade.USERS))
        w.write_table("products", rows("products", handmade.PRODUCTS))
        by_month: dict[str, list[dict[str, Any]]] = {}
        for e in handmade.EVENTS:
            by_month.setdefault(e["timestamp"].strftime("%Y-%m"), []).append(e)
        for month, evs in sorted(by_month.items()):
            w.write_partition("events", month, rows("events", evs))
    assert DataDir(path).id_types() == STRING_IDS
    return path


def _json(*args: str) -> dict[str, Any]:
    r = run_cli("--json", *args)
    assert r.code == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


AUDIENCE = {"version": 1, "where": {"type": "event", "event": "purchased", "op": "gte", "count": 1}}


@pytest.mark.parametrize("query", ["wau", "revenue", "cohort"])
def test_text_ids_in_place_equal_the_known_answers(text_shop: tuple[str, Path], query: str) -> None:
    dsn, mapping = text_shop
    before = snapshot(dsn)
    source = PgSource(dsn, mapping)
    got = run_query(source, query, "postgres")
    assert got.to_pylist() == _expected(query)
    assert source.id_types() == STRING_IDS
    assert snapshot(dsn) == before


def test_text_ids_cli_equals_the_data_directory(
    text_shop: tuple[str, Path], string_dir: Path, tmp_path: Path
) -> None:
    dsn, mapping = text_shop
    before = snapshot(dsn)
    src = ("--data", dsn, "--mapping", str(mapping))
    for query in ("wau", "revenue", "cohort"):
        got, want = _json(*src, "query", query), _json("--data", str(string_dir), "query", query)
        assert (got["columns"], got["rows"]) == (want["columns"], want["rows"]), query
    got, want = _json(*src, "cohort"), _json("--data", str(string_dir), "cohort")
    for key in ("columns", "rows", "average", "empty_months", "insights"):
        assert got[key] == want[key], key
    # An audience carries the shop's own ids, exactly: '007' and '7' are two users.
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(AUDIENCE))
    got = _json(*src, "audience", str(spec))
    want = _json("--data", str(string_dir), "audience", str(spec))
    assert got["user_ids"] == want["user_ids"]
    assert sorted(got["user_ids"]) == sorted(["C-0001", "007", "7", "C-0005"])
    assert snapshot(dsn) == before


def test_ingest_from_keeps_the_string_ids(
    text_shop: tuple[str, Path], string_dir: Path, tmp_path: Path
) -> None:
    dsn, mapping = text_shop
    before = snapshot(dsn)
    copy = tmp_path / "copy"
    r = run_cli("--data", str(copy), "--json", "ingest", "--from", dsn, "--mapping", str(mapping))
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["pg_source"]["id_types"] == STRING_IDS
    dd = DataDir(copy)
    assert dd.id_types() == STRING_IDS
    users = pq.read_table(dd.table_files("users")[0]).column("user_id").to_pylist()
    assert sorted(users) == sorted(USER.values())
    products = pq.read_table(dd.table_files("products")[0]).column("product_id").to_pylist()
    assert sorted(products) == sorted(PRODUCT.values())
    for query in ("wau", "revenue", "cohort"):
        got, want = (
            _json("--data", str(copy), "query", query),
            _json("--data", str(string_dir), "query", query),
        )
        assert got["rows"] == want["rows"], query

    # --incremental: a later event of user '007' on product '011' arrives as a string too.
    late = dt.datetime(2025, 3, 11, 9, 0, tzinfo=dt.UTC)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(
            "INSERT INTO shop.page_events VALUES (%s, %s, %s, %s)", ("007", "purchase", "011", late)
        )
    before = snapshot(dsn)
    r = run_cli(
        "--data", str(copy), "--json", "ingest", "--from", dsn, "--mapping", str(mapping),
        "--incremental",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    events = ds.dataset(copy / "events", format="parquet", partitioning="hive").to_table()
    assert events.schema.field("user_id").type == pa.string()
    rows = {(e["user_id"], e["product_id"], e["timestamp"]) for e in events.to_pylist()}
    assert ("007", "011", late.replace(tzinfo=None)) in rows
    assert len(events) == len(handmade.EVENTS) + 1
    assert snapshot(dsn) == before


def test_the_mapping_id_types_is_honoured(
    pg_fresh_dsn: Callable[[], str], handmade_dir: Path, tmp_path: Path
) -> None:
    # seed 000's INTEGER ids, read as strings because the mapping says so
    dsn = pg_fresh_dsn()
    _fill(dsn)
    before = snapshot(dsn)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("id_types: {user_id: string}\n")
    source = PgSource(dsn, mapping)
    assert source.id_types() == {"user_id": "string", "product_id": "int64"}
    users = run_query(source, "wau", "postgres")
    assert users.to_pylist() == _expected("wau")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(AUDIENCE))
    got = _json("--data", dsn, "--mapping", str(mapping), "audience", str(spec))
    want = _json("--data", str(handmade_dir), "audience", str(spec))
    assert got["user_ids"] == [str(u) for u in want["user_ids"]] == ["1", "2", "4", "5"]
    # ingest --from keeps them text too (integer-looking text was stored as BIGINT before)
    copy = tmp_path / "copy"
    r = run_cli("--data", str(copy), "ingest", "--from", dsn, "--mapping", str(mapping))
    assert r.code == 0, r.stderr
    assert DataDir(copy).id_types() == {"user_id": "string", "product_id": "int64"}
    assert snapshot(dsn) == before


def test_id_types_errors_are_one_line(text_shop: tuple[str, Path], tmp_path: Path) -> None:
    dsn, _ = text_shop
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAPPING + "id_types: {user_id: integer}\n")
    r = run_cli("--data", dsn, "--mapping", str(bad), "query", "wau")
    assert r.code == 2
    assert r.stderr.strip().splitlines() == [
        f"error: mapping file {bad}: id_types: user_id: 'integer' is not an id type "
        "(use int64 or string)"
    ]
    # int64 forced onto text ids that are not integers: the server's line says what to change
    forced = tmp_path / "forced.yaml"
    forced.write_text(MAPPING + "id_types: {user_id: int64}\n")
    copy = tmp_path / "copy"
    for args in (
        ("--data", dsn, "--mapping", str(forced), "query", "wau"),
        ("--data", str(copy), "ingest", "--from", dsn, "--mapping", str(forced)),
    ):
        r = run_cli(*args)
        assert r.code in (1, 3), r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, r.stderr
        assert 'invalid input syntax for type bigint: "C-' in lines[0]
        assert (
            "the mapping's id_types says user_id: int64, but shop.customers.customer_id (text), "
            "shop.page_events.customer_id (text) hold text that is not an integer" in lines[0]
        )
        assert "set id_types: {user_id: string} or drop it" in lines[0]
    assert not (copy / "manifest.json").exists()


def test_a_kind_whose_columns_disagree_reads_as_strings() -> None:
    def table(name: str, types: dict[str, str], numeric: set[str]) -> SourceTable:
        colmap = {c: c for c in types}
        return SourceTable(name, "shop", name, types, numeric, colmap)

    tables = {
        "users": table("users", {"user_id": "integer", "signup_date": "date"}, {"user_id"}),
        "products": table("products", {"product_id": "bigint"}, {"product_id"}),
        "events": table("events", {"user_id": "text", "product_id": "integer"}, {"product_id"}),
    }
    got = decide_id_types(tables, SourceMapping())
    assert got == {"user_id": "string", "product_id": "int64"}
    forced = SourceMapping(id_types={"product_id": "string", "user_id": "int64"})
    assert decide_id_types(tables, forced) == {"user_id": "int64", "product_id": "string"}


def test_report_on_text_ids_equals_the_data_directory(
    text_shop: tuple[str, Path], string_dir: Path, tmp_path: Path
) -> None:
    from tests.engines.postgres.test_pg_source_report import _figures, _sections

    dsn, mapping = text_shop
    before = snapshot(dsn)
    out_pg, out_dir = tmp_path / "pg.html", tmp_path / "dir.html"
    r = run_cli("--data", dsn, "--mapping", str(mapping), "report", "--out", str(out_pg))
    assert r.code == 0, r.stderr
    d = run_cli("--data", str(string_dir), "report", "--out", str(out_dir))
    assert d.code == 0, d.stderr
    got, want = _sections(out_pg.read_text()), _sections(out_dir.read_text())
    assert set(got) == set(want) - {"quality"}
    for sid in sorted(set(got) - {"dataset"}):
        assert _figures(got[sid]) == _figures(want[sid]), sid
    assert snapshot(dsn) == before
