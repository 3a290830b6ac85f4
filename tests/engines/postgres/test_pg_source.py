"""Seed 000's scenario: the shop's own PostgreSQL database as the data source, read in place.

A database holds only the seed's three tables (users(user_id, signup_date, country),
events(user_id, event_type, product_id, timestamp), products(product_id, category, price)),
filled with the hand-made rows whose answers tests/reference.py computes independently, plus
the shop's own index and view. `ducky --data postgresql://... query wau|revenue|cohort` must
give those answers (and the same JSON as on the equivalent data directory), and the shop's
schema must be exactly as before (tables, views, indexes, row counts). The same rows under
other names (customers, event_time, view/cart/purchase) read through a mapping give the same.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ducky.engines.postgres.source import PgSource
from ducky.errors import EngineError, UserError
from ducky.queries import run_query
from tests import handmade, reference
from tests.cli_support import run_cli
from tests.engines.postgres.test_pg_safety import snapshot

pytestmark = pytest.mark.postgres

SEED_DDL = """
CREATE TABLE {s}.{users} (user_id INTEGER PRIMARY KEY, signup_date DATE NOT NULL, country TEXT);
CREATE TABLE {s}.products (product_id INTEGER PRIMARY KEY, category VARCHAR(40) NOT NULL,
                           price NUMERIC(10, 2) NOT NULL);
CREATE TABLE {s}.events (user_id INTEGER NOT NULL, {type_col} VARCHAR(20) NOT NULL,
                         product_id INTEGER, {ts_col} {ts_type} NOT NULL);
CREATE INDEX shop_events_user ON {s}.events (user_id);
CREATE VIEW {s}.daily_events AS SELECT CAST({ts_col} AS DATE) AS day, COUNT(*) AS n
    FROM {s}.events GROUP BY 1;
"""
RENAMED = {"viewed": "view", "add-to-cart": "cart", "purchased": "purchase"}
MAPPING = """\
schema: shop
tables:
  users: customers
events:
  timestamp: event_time
  event_type: action
event_types:
  view: viewed
  cart: add-to-cart
  purchase: purchased
"""


def _fill(dsn: str, schema: str = "public", mapped: bool = False) -> None:
    users = "customers" if mapped else "users"
    type_col, ts_col = ("action", "event_time") if mapped else ("event_type", '"timestamp"')
    # The mapped shop keeps UTC instants in timestamptz: read as the canonical UTC timestamp.
    ts_type = "TIMESTAMPTZ" if mapped else "TIMESTAMP"
    with psycopg.connect(dsn, autocommit=True) as c:
        if schema != "public":
            c.execute(f"CREATE SCHEMA {schema}")
        c.execute(
            SEED_DDL.format(
                s=schema, users=users, type_col=type_col, ts_col=ts_col, ts_type=ts_type
            )
        )
        c.execute("SET TimeZone = 'UTC'")
        with c.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {schema}.{users} VALUES (%s, %s, %s)",
                [(u["user_id"], u["signup_date"], u.get("country")) for u in handmade.USERS],
            )
            cur.executemany(
                f"INSERT INTO {schema}.products VALUES (%s, %s, %s)",
                [(p["product_id"], p["category"], p["price"]) for p in handmade.PRODUCTS],
            )
            cur.executemany(
                f"INSERT INTO {schema}.events VALUES (%s, %s, %s, %s)",
                [
                    (
                        e["user_id"],
                        RENAMED.get(e["event_type"], e["event_type"])
                        if mapped
                        else e["event_type"],
                        e["product_id"],
                        e["timestamp"].replace(tzinfo=dt.UTC) if mapped else e["timestamp"],
                    )
                    for e in handmade.EVENTS
                ],
            )
        c.execute(f"ANALYZE {schema}.events")


def _expected(query: str) -> Any:
    if query == "wau":
        return reference.wau(handmade.EVENTS)
    if query == "revenue":
        return reference.revenue(handmade.EVENTS, handmade.PRODUCTS, None, None)
    rows = reference.cohort(handmade.USERS, handmade.EVENTS, 8, None)
    return [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


@pytest.fixture
def shop(pg_fresh_dsn: Callable[[], str]) -> str:
    dsn = pg_fresh_dsn()
    _fill(dsn)
    return dsn


@pytest.fixture
def mapped_shop(pg_fresh_dsn: Callable[[], str], tmp_path: Path) -> tuple[str, Path]:
    dsn = pg_fresh_dsn()
    _fill(dsn, "shop", mapped=True)
    mapping = tmp_path / "shop.yaml"
    mapping.write_text(MAPPING)
    return dsn, mapping


@pytest.mark.parametrize("query", ["wau", "revenue", "cohort"])
def test_seed_tables_in_place_equal_the_known_answers(shop: str, query: str) -> None:
    before = snapshot(shop)
    got = run_query(PgSource(shop), query, "postgres")
    assert got.to_pylist() == _expected(query)
    assert snapshot(shop) == before


@pytest.mark.parametrize("query", ["wau", "revenue", "cohort"])
def test_mapped_names_give_the_same_answers(mapped_shop: tuple[str, Path], query: str) -> None:
    dsn, mapping = mapped_shop
    before = snapshot(dsn)
    got = run_query(PgSource(dsn, mapping), query, "duckdb")  # the default engine: in place
    assert got.to_pylist() == _expected(query)
    assert snapshot(dsn) == before


def test_cli_equals_the_data_directory(shop: str, handmade_dir: Path) -> None:
    before = snapshot(shop)
    for query in ("wau", "revenue", "cohort"):
        r = run_cli("--data", shop, "--json", "query", query)
        assert r.code == 0, r.stderr
        d = run_cli("--data", str(handmade_dir), "--json", "query", query)
        assert d.code == 0, d.stderr
        got, want = json.loads(r.stdout), json.loads(d.stdout)
        assert got["columns"] == want["columns"] and got["rows"] == want["rows"], query
        _names_what_ran(got, want, shop, handmade_dir)
    r = run_cli("--data", shop, "--json", "cohort")
    assert r.code == 0, r.stderr
    d = run_cli("--data", str(handmade_dir), "--json", "cohort")
    got, want = json.loads(r.stdout), json.loads(d.stdout)
    for key in ("columns", "rows", "average", "empty_months", "insights"):
        assert got[key] == want[key], key
    _names_what_ran(got, want, shop, handmade_dir)
    assert snapshot(shop) == before


def _names_what_ran(got: dict[str, Any], want: dict[str, Any], dsn: str, data: Path) -> None:
    """The JSON names the engine that ran (PostgreSQL, in place) and the source, its
    password redacted; the directory's JSON names the default engine and its path."""
    password = dsn.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert (got["engine"], want["engine"]) == ("postgres", "duckdb")
    assert got["source"] == f"postgresql://{_where(dsn)}"
    assert want["source"] == str(data)
    assert password and password not in json.dumps(got)


def test_cli_with_mapping_from_the_environment(mapped_shop: tuple[str, Path]) -> None:
    dsn, mapping = mapped_shop
    r = run_cli("--json", "query", "wau", env={"DUCKY_DATA": dsn, "DUCKY_MAPPING": str(mapping)})
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["rows"][0]["active_users"] == 3
    r = run_cli("--data", dsn, "query", "wau")  # without the mapping: one line naming the table
    assert r.code == 2
    assert r.stderr.strip().splitlines() == [
        f"error: --data postgresql://{_where(dsn)}: no table public.users for users; "
        "map it with --mapping (tables: ...)"
    ]


def _where(dsn: str) -> str:
    from ducky.engines.postgres.dsn import describe

    return describe(dsn)


def test_the_session_is_read_only(shop: str) -> None:
    from ducky.engines import open_engine

    before = snapshot(shop)
    with open_engine("postgres", PgSource(shop)) as eng:
        for stmt in (
            "CREATE TABLE public.intruder (i int)",
            "DELETE FROM public.events",
            "DROP VIEW public.daily_events",
        ):
            with pytest.raises(EngineError, match="read-only transaction"):
                eng.execute(stmt)
        with pytest.raises(UserError, match="read in place"):
            eng.prepare("wau", "rollup")
        # Without consent an optimized variant builds nothing: its indexes are only reported.
        stages = eng.prepare("wau", "optimized")
        assert all(s.detail.get("skipped") for s in stages)
    assert snapshot(shop) == before


def test_url_password_never_printed(tmp_path: Path) -> None:
    secret = "pw-9f8e7d"
    url = f"postgresql://shop:{secret}@127.0.0.1:1/shop"
    from tests.engines.postgres.test_pg_source_audience import SPEC

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    for args in (
        ["query", "wau"],
        ["cohort"],
        ["query", "wau", "-e", "spark"],
        ["audience", str(spec)],
        ["bench", "-e", "postgres", "-q", "wau", "-n", "1"],
        ["report"],
    ):
        r = run_cli("--data", url, *args)
        assert r.code != 0
        assert secret not in r.stdout + r.stderr, args
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    # The snapshot's reader: a URL that does not parse, and one no server answers at.
    for bad in (url, f"postgresql://shop:{secret}@127.0.0.1:notaport/shop"):
        r = run_cli("--data", str(tmp_path / "copy"), "ingest", "--from", bad)
        assert r.code != 0 and secret not in r.stdout + r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not (tmp_path / "copy" / "manifest.json").exists()


def test_commands_needing_files_say_so(shop: str) -> None:
    r = run_cli("--data", shop, "load")
    assert r.code == 2
    assert "is a PostgreSQL database, not a data directory" in r.stderr
    assert "ducky ingest --from" in r.stderr


def _new_objects(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in after if k not in before)


def test_bench_without_consent_builds_nothing(shop: str, tmp_path: Path) -> None:
    before = snapshot(shop)
    r = run_cli("--data", shop, "bench", "-e", "postgres", "-n", "1", "--out", str(tmp_path))
    assert r.code == 0, r.stderr
    assert snapshot(shop) == before
    # The DDL it would have measured is printed, on the shop's own table.
    assert (
        "ducky: not built (needs --allow-ddl): CREATE INDEX CONCURRENTLY IF NOT EXISTS "
        '"ducky_opt_events_timestamp" ON "public"."events" ("timestamp")' in r.stderr
    )
    doc = json.loads((tmp_path / "latest.json").read_text())
    variants = {(x["query"], x["variant"]) for x in doc["records"]}
    assert ("wau", "baseline") in variants and ("wau", "optimized") in variants
    assert all(x["parity"] for x in doc["records"])


def test_bench_with_consent_drops_what_it_built(shop: str, tmp_path: Path) -> None:
    before = snapshot(shop)
    r = run_cli(
        "--data", shop, "bench", "-e", "postgres", "-n", "1", "-q", "wau", "--allow-ddl",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    assert snapshot(shop) == before
    assert (
        "ducky: dropped again: CREATE INDEX CONCURRENTLY IF NOT EXISTS "
        '"ducky_opt_events_timestamp" ON "public"."events" ("timestamp")  -- ' in r.stderr
    )
    # ...with its size, build time and write cost, the latter measured on temporary copies of
    # the shop's rows (all of them here: fewer than 20,000).
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith("ducky: dropped again:"))
    n = len(handmade.EVENTS)
    assert re.search(r" bytes, built in \d+\.\d{3} s, \+\d+\.\d us per inserted row \(", line)
    assert line.endswith(f"({n:,} rows into a temporary copy)"), line
    doc = json.loads((tmp_path / "latest.json").read_text())
    opt = next(x for x in doc["records"] if x["variant"] == "optimized")
    built = [s["detail"] for s in opt["stages"] if s["stage"] == "index"]
    assert [s["object"] for s in built if s.get("bytes")] == [
        '"public"."ducky_opt_events_timestamp"'
    ]
    # The seed's INTEGER user_id is cast to the canonical BIGINT: said, not built.
    assert "events.user_id is converted by the mapping" in built[0]["skipped"]
    assert opt["parity"]
    # Baseline (the shop's tables as they are) and optimized were both timed, and the gain
    # is the ratio of the two medians.
    base = next(x for x in doc["records"] if x["variant"] == "baseline")
    assert base["parity"] and base["runs"] and opt["runs"]
    assert base["median_s"] > 0 and opt["median_s"] > 0
    assert opt["speedup_vs_baseline"] == pytest.approx(base["median_s"] / opt["median_s"])


def test_bench_keep_optimizations_leaves_the_listed_indexes(shop: str, tmp_path: Path) -> None:
    before = snapshot(shop)
    r = run_cli(
        "--data", shop, "bench", "-e", "postgres", "-n", "1", "-q", "wau,revenue",
        "--allow-ddl", "--keep-optimizations", "--out", str(tmp_path),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    after = snapshot(shop)
    new = _new_objects(before, after)
    # (the purchases index reads product_id and user_id, INTEGER here: not built, said why)
    assert new == ["public.ducky_opt_events_timestamp"]
    for name in new:
        assert f'ducky: kept: CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name.split(".")[1]}"' in (
            r.stderr
        )
    assert {k: v for k, v in after.items() if k not in new} == before
    # A second run finds them in place: not rebuilt, not dropped (not created by this run).
    r = run_cli(
        "--data", shop, "bench", "-e", "postgres", "-n", "1", "-q", "wau", "--allow-ddl",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    assert snapshot(shop) == after


def _ingest(data: Path, *args: str) -> dict[str, Any]:
    r = run_cli("--data", str(data), "ingest", "--json", *args)
    assert r.code == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def _account(doc: dict[str, Any], table: str) -> dict[str, Any]:
    return next(a for a in doc["accounting"] if a["table"] == table)


def test_snapshot_then_incremental(shop: str, tmp_path: Path) -> None:
    before = snapshot(shop)
    data = tmp_path / "copy"
    doc = _ingest(data, "--from", shop)
    assert doc["pg_source"]["since"] is None
    assert doc["pg_source"]["watermark"] == "2025-03-10T17:00:00"  # the latest event
    n = len(handmade.EVENTS)
    ev = _account(doc, "events")
    assert (ev["rows_in"], ev["loaded"], ev["quarantined"]) == (n, n, 0)
    assert _account(doc, "users")["loaded"] == len(handmade.USERS)
    assert "password" not in json.dumps(doc) and shop.split(":")[2].split("@")[0] not in (
        (data / "manifest.json").read_text() + json.dumps(doc)
    )
    assert snapshot(shop) == before
    # The copy answers like the database.
    r = run_cli("--data", str(data), "--json", "query", "wau")
    assert r.code == 0 and json.loads(r.stdout)["rows"] == [
        {**x, "week_start": x["week_start"].isoformat()} for x in reference.wau(handmade.EVENTS)
    ]
    with psycopg.connect(shop, autocommit=True) as c:  # the shop writes two new events
        c.execute(
            "INSERT INTO events VALUES (1, 'viewed', 10, '2025-03-11 08:00'), "
            "(5, 'purchased', 10, '2025-03-12 09:30')"
        )
    doc = _ingest(data, "--from", shop, "--incremental")
    assert doc["pg_source"]["since"] == "2025-03-10T17:00:00"
    assert doc["pg_source"]["watermark"] == "2025-03-12T09:30:00"
    # Only events at or after the watermark were read: the two new ones and the one at it.
    assert doc["pg_source"]["tables"]["events"]["rows"] == 3
    ev = _account(doc, "events")
    assert (ev["rows_in"], ev["inserted"], ev["already_present"]) == (3, 2, 1)
    m = json.loads((data / "manifest.json").read_text())
    assert m["tables"]["events"]["rows"] == n + 2 and m["pg_watermark"] == "2025-03-12T09:30:00"


def test_snapshot_through_a_mapping(mapped_shop: tuple[str, Path], tmp_path: Path) -> None:
    dsn, mapping = mapped_shop
    data = tmp_path / "copy"
    doc = _ingest(data, "--from", dsn, "--mapping", str(mapping))
    assert _account(doc, "events")["loaded"] == len(handmade.EVENTS)
    for query in ("wau", "revenue"):
        r = run_cli("--data", str(data), "--json", "query", query)
        assert r.code == 0, r.stderr
        d = run_cli("--data", dsn, "--mapping", str(mapping), "--json", "query", query)
        assert d.code == 0, d.stderr
        assert json.loads(r.stdout)["rows"] == json.loads(d.stdout)["rows"]


WEB_EVENTS_MAPPING = """\
schema: shop
tables:
  events: web_events
events:
  timestamp: occurred_at
event_types:
  PAGE_VIEW: viewed
  CART_ADD: add-to-cart
  ORDER_PLACED: purchased
"""
WEB_EVENT_NAMES = {"viewed": "PAGE_VIEW", "add-to-cart": "CART_ADD", "purchased": "ORDER_PLACED"}


def test_mapping_from_a_project_file(
    pg_fresh_dsn: Callable[[], str], handmade_dir: Path, tmp_path: Path
) -> None:
    """A shop whose events are shop.web_events(occurred_at, PAGE_VIEW/ORDER_PLACED...): the
    ducky.toml that DUCKY_CONFIG names gives the mapping (relative to the file), and WAU and
    revenue (purchases only: the recoded values matter) equal the reference."""
    dsn = pg_fresh_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(
            SEED_DDL.replace("{s}.events", "{s}.web_events")
            .replace("shop_events_user", "shop_web_events_user")
            .format(
                s="shop",
                users="users",
                type_col="event_type",
                ts_col="occurred_at",
                ts_type="TIMESTAMP",
            )
            .replace("CREATE TABLE shop.users", "CREATE SCHEMA shop; CREATE TABLE shop.users")
        )
        with c.cursor() as cur:
            cur.executemany(
                "INSERT INTO shop.users VALUES (%s, %s, %s)",
                [(u["user_id"], u["signup_date"], u.get("country")) for u in handmade.USERS],
            )
            cur.executemany(
                "INSERT INTO shop.products VALUES (%s, %s, %s)",
                [(p["product_id"], p["category"], p["price"]) for p in handmade.PRODUCTS],
            )
            cur.executemany(
                "INSERT INTO shop.web_events VALUES (%s, %s, %s, %s)",
                [
                    (
                        e["user_id"],
                        WEB_EVENT_NAMES.get(e["event_type"], e["event_type"]),
                        e["product_id"],
                        e["timestamp"],
                    )
                    for e in handmade.EVENTS
                ],
            )
    project = tmp_path / "project"
    project.mkdir()
    (project / "m.yaml").write_text(WEB_EVENTS_MAPPING)
    (project / "ducky.toml").write_text('mapping = "m.yaml"\n')
    before = snapshot(dsn)
    env = {"DUCKY_CONFIG": str(project / "ducky.toml")}
    for query in ("wau", "revenue"):
        r = run_cli("--data", dsn, "--json", "query", query, env=env)
        assert r.code == 0, r.stderr
        d = run_cli("--data", str(handmade_dir), "--json", "query", query)
        assert d.code == 0, d.stderr
        assert json.loads(r.stdout)["rows"] == json.loads(d.stdout)["rows"], query
    # ...and the reference's WAU, computed independently of any engine.
    got = run_query(PgSource(dsn, project / "m.yaml"), "wau", "postgres")
    assert got.to_pylist() == _expected("wau")
    # The source itself may come from the project file too (a URL, not a path to resolve).
    (project / "ducky.toml").write_text(f'mapping = "m.yaml"\ndata = "{dsn}"\n')
    r = run_cli("--json", "query", "wau", env=env)
    assert r.code == 0, r.stderr
    assert [x["active_users"] for x in json.loads(r.stdout)["rows"]] == [
        x["active_users"] for x in _expected("wau")
    ]
    assert snapshot(dsn) == before
    # Without the project file the shop's table is not found: the mapping is what was used.
    r = run_cli("--data", dsn, "query", "wau", env={"DUCKY_CONFIG": ""})
    assert r.code == 2 and "no table public.users" in r.stderr
