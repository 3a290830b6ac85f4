"""`ducky load` / ducky.engines.postgres.loader on a real server: round trip with checksums equal
to the Parquet files (read by DuckDB), idempotent re-load, and failed loads that leave the previous
tables intact."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ducky.datasets import DataDir
from ducky.engines.postgres.loader import fingerprint, load_datadir, stored_fingerprint
from ducky.errors import DataDirError, EngineError
from tests import handmade
from tests.cli_support import run_cli
from tests.handmade import write_datadir

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

# The same checksums on both sides: DuckDB over the Parquet files, PostgreSQL over the load.
CHECKS: dict[str, tuple[str, str]] = {
    "users": (
        "SELECT COUNT(*), SUM(user_id), SUM(age), COUNT(country), MIN(signup_date), "
        "MAX(signup_date), SUM(LENGTH(name)), COUNT(DISTINCT plan) FROM {src}",
        "",
    ),
    "products": (
        "SELECT COUNT(*), SUM(product_id), SUM(price), MIN(price), MAX(price), "
        "COUNT(DISTINCT category), SUM(LENGTH(name)) FROM {src}",
        "",
    ),
    "events": (
        "SELECT COUNT(*), SUM(user_id), SUM(product_id), COUNT(product_id), "
        'MIN("timestamp"), MAX("timestamp"), COUNT(DISTINCT user_id) FROM {src}',
        "",
    ),
    "search_logs": (
        'SELECT COUNT(*), SUM(user_id), MIN("timestamp"), MAX("timestamp"), '
        "SUM(LENGTH(search_query)), COUNT(clicked_product_ids) FROM {src}",
        "",
    ),
}
# ducky writes into its own schema (ducky.engines.postgres.ownership); these checks read it there.
DUCKY_SCHEMA = "-c search_path=ducky"
PER_TYPE = "SELECT event_type, COUNT(*), SUM(user_id) FROM {src} GROUP BY 1 ORDER BY 1"
LIST_SUMS = {  # element count and sum of the list column
    "duckdb": "SELECT SUM(len(clicked_product_ids)), SUM(list_sum(clicked_product_ids)) FROM {src}",
    "postgres": "SELECT SUM(cardinality(clicked_product_ids)), "
    "(SELECT SUM(x) FROM search_logs, unnest(clicked_product_ids) AS x) FROM {src}",
}


def _duck(data: Path, table: str, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    src = f"read_parquet('{DataDir(data).table_glob(table)}')"
    return [tuple(r) for r in duckdb.sql(sql.format(src=src)).fetchall()]


def _pg(dsn: str, sql: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, options=DUCKY_SCHEMA) as c:
        return [tuple(r) for r in c.execute(sql.format(src=table)).fetchall()]  # type: ignore[arg-type]


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, options=DUCKY_SCHEMA) as c:
        return {
            t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("users", "products", "events")
        }  # type: ignore[index]


def _staging_left(dsn: str) -> list[str]:
    with psycopg.connect(dsn, options=DUCKY_SCHEMA) as c:
        rows = c.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'ducky_staging_%'")
        return [r[0] for r in rows.fetchall()]


@pytest.mark.parametrize("method", ["binary", "adbc"])
def test_round_trip_checksums_equal_parquet(
    generated_dir: Path, pg_fresh_dsn: Callable[[], str], method: str
) -> None:
    dsn = pg_fresh_dsn()
    report = load_datadir(generated_dir, dsn, method=method)
    assert report.method == method
    manifest = DataDir(generated_dir).manifest()
    loaded = {t.table: t.rows for t in report.tables}
    assert set(loaded) == {"users", "products", "events", "search_logs"}
    assert all(loaded[t] == manifest.rows(t) > 0 for t in loaded)
    assert report.rows == sum(loaded.values()) and report.rows_per_s > 0
    for table, (sql, _) in CHECKS.items():
        assert _pg(dsn, sql, table) == _duck(generated_dir, table, sql), table
    assert _pg(dsn, PER_TYPE, "events") == _duck(generated_dir, "events", PER_TYPE)
    assert _pg(dsn, LIST_SUMS["postgres"], "search_logs") == _duck(
        generated_dir, "search_logs", LIST_SUMS["duckdb"]
    )
    with psycopg.connect(dsn, options=DUCKY_SCHEMA) as c:  # keys are built after the data
        keys = c.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'p' AND connamespace = 'ducky'::regnamespace ORDER BY 1"
        ).fetchall()
        # COPY FREEZE (binary) or VACUUM (FREEZE) after the load (adbc): every page that holds
        # rows is all-visible, ready for index-only scans.
        visible, used = c.execute(
            "SELECT (SELECT relallvisible FROM pg_class WHERE relname = 'events'), "
            "COUNT(DISTINCT (ctid::text::point)[0]) FROM events"
        ).fetchone()  # type: ignore[misc]
    assert [k[0] for k in keys] == ["ducky_meta", "products", "users"]
    assert used > 0 and visible >= used
    assert (report.vacuum_seconds > 0) == (method == "adbc")


def test_csv_method_gives_the_same_tables(
    generated_dir: Path, pg_fresh_dsn: Callable[[], str]
) -> None:
    dsn = pg_fresh_dsn()
    report = load_datadir(generated_dir, dsn, tables=["users", "products", "events"], method="csv")
    assert report.method == "csv"
    for table in ("users", "products", "events"):
        sql = CHECKS[table][0]
        assert _pg(dsn, sql, table) == _duck(generated_dir, table, sql), table


def test_reload_replaces_never_duplicates(tmp_path: Path, pg_fresh_dsn: Callable[[], str]) -> None:
    dsn = pg_fresh_dsn()
    data = write_datadir(tmp_path / "data")
    first = load_datadir(data, dsn)
    second = load_datadir(data, dsn)
    assert [t.rows for t in first.tables] == [t.rows for t in second.tables] == [6, 4, 18]
    assert _counts(dsn) == {"users": 6, "products": 4, "events": 18}
    assert stored_fingerprint(dsn) == fingerprint(DataDir(data), ["users", "products", "events"])
    assert _staging_left(dsn) == []


def _corrupt_keeping_footer(path: Path) -> None:
    """Zero the data pages of a Parquet file but keep its footer: the schema still reads
    (validation passes), decoding fails in the middle of the load."""
    raw = bytearray(path.read_bytes())
    footer = int.from_bytes(raw[-8:-4], "little")
    end = len(raw) - 8 - footer
    raw[4:end] = b"\xff" * (end - 4)
    path.write_bytes(bytes(raw))


def test_failed_load_leaves_previous_tables_intact(
    tmp_path: Path, pg_fresh_dsn: Callable[[], str]
) -> None:
    dsn = pg_fresh_dsn()
    good = write_datadir(tmp_path / "good")
    load_datadir(good, dsn)
    before = stored_fingerprint(dsn)

    # 1. An unreadable events file half-way through the load.
    bad = write_datadir(tmp_path / "bad", events=handmade.EVENTS + handmade.EVENTS)
    files = DataDir(bad).table_files("events")
    _corrupt_keeping_footer(files[-1])
    with pytest.raises(DataDirError) as e:
        load_datadir(bad, dsn)
    assert files[-1].name in str(e.value) and "\n" not in str(e.value)
    assert _counts(dsn) == {"users": 6, "products": 4, "events": 18}
    assert stored_fingerprint(dsn) == before and _staging_left(dsn) == []

    # 2. Duplicate user ids: every row is copied, then the primary key fails at the end.
    dup = write_datadir(tmp_path / "dup", users=handmade.USERS + handmade.USERS[:1])
    with pytest.raises(EngineError) as e2:
        load_datadir(dup, dsn)
    assert "users_pkey" in str(e2.value) or "duplicate" in str(e2.value)
    assert _counts(dsn) == {"users": 6, "products": 4, "events": 18}
    assert stored_fingerprint(dsn) == before and _staging_left(dsn) == []

    # 3. The CLI says it in one line with a non-zero exit.
    r = run_cli("--data", str(bad), "load", "-e", "postgres", "--dsn", dsn)
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error: ")


def test_cli_load_json(tmp_path: Path, pg_fresh_dsn: Callable[[], str]) -> None:
    dsn = pg_fresh_dsn()
    data = write_datadir(tmp_path / "data")
    r = run_cli("--data", str(data), "--json", "load", "-e", "postgres", "--dsn", dsn)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["engine"] == "postgres" and doc["method"] == "binary"
    assert {t["table"]: t["rows"] for t in doc["tables"]} == {
        "users": 6,
        "products": 4,
        "events": 18,
    }
    assert doc["rows"] == 28 and doc["rows_per_s"] > 0
    assert "password" not in r.stdout and dsn not in r.stdout


def test_binary_numeric_edge_values(tmp_path: Path, pg_fresh_dsn: Callable[[], str]) -> None:
    from decimal import Decimal

    prices = ["0.00", "0.01", "0.10", "1.50", "-12.34", "10000.00", "9999.99", "123456.78",
              "9999999999.99", "-0.05"]  # fmt: skip
    products = [
        {"product_id": i, "category": "c", "price": Decimal(p), "name": None if i % 3 else "é€"}
        for i, p in enumerate(prices, start=1)
    ]
    data = write_datadir(tmp_path / "data", products=products)
    dsn = pg_fresh_dsn()
    load_datadir(data, dsn, tables=["products"], method="binary")
    with psycopg.connect(dsn, options=DUCKY_SCHEMA) as c:
        got = c.execute("SELECT price, name FROM products ORDER BY product_id").fetchall()
    assert [g[0] for g in got] == [Decimal(p) for p in prices]
    assert [g[1] for g in got] == [p["name"] for p in products]


@pytest.mark.parametrize("method", ["binary", "adbc", "csv"])
def test_load_stores_the_week_and_wau_optimized_runs_right_after(
    tmp_path: Path, pg_fresh_dsn: Callable[[], str], method: str
) -> None:
    """`ducky load` alone (no bench setup) gives events its stored ducky_week, the Monday of
    each event's ISO week, so the optimized WAU (which groups by it) answers right away and
    equals the baseline; a table loaded without the column is not current (reloaded)."""
    from ducky.engines.postgres import PostgresEngine

    dsn = pg_fresh_dsn()
    data = write_datadir(tmp_path / "data")
    load_datadir(data, dsn, method=method)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET search_path TO ducky")
        bad = c.execute(
            "SELECT count(*) FROM events WHERE ducky_week IS NULL OR ducky_week <> "
            'CAST("timestamp" AS DATE) - (EXTRACT(ISODOW FROM "timestamp")::int - 1)'
        ).fetchone()
        assert bad == (0,)
    with PostgresEngine(DataDir(data), dsn=dsn) as eng:
        assert eng.is_current()
        for params in ({}, {"event_type": "purchased"}):
            got = eng.query("wau", "optimized", **params).to_pylist()
            assert got == eng.query("wau", "baseline", **params).to_pylist()
            assert got == handmade_wau(params.get("event_type"))
        eng.execute("ALTER TABLE events DROP COLUMN ducky_week")  # as an older ducky loaded it
        assert not eng.is_current()


def handmade_wau(event_type: str | None) -> list[dict[str, Any]]:
    from tests import reference

    return reference.wau(handmade.EVENTS, event_type)
