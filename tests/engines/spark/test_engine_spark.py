"""The Spark engine: canonical metrics equal to the pure-Python reference and to DuckDB, exact
types, UTC timestamps across the year end, plans, errors, settings and the CLI.

All tests share one local[2] SparkSession (tests/fixtures/spark.py); only the CLI test starts a
second JVM (its own process).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ducky.datasets import DataDir
from ducky.engines import open_engine
from ducky.errors import EngineError, UserError
from tests import handmade, reference
from tests.cli_support import run_cli
from tests.handmade import write_datadir

pytestmark = [pytest.mark.spark, pytest.mark.integration]

T = dt.datetime

# Every canonical query with every parameter set the reference can check.
CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("wau", {}, lambda: reference.wau(handmade.EVENTS)),
    ("wau", {"event_type": "purchased"}, lambda: reference.wau(handmade.EVENTS, "purchased")),
    ("revenue", {}, lambda: reference.revenue(handmade.EVENTS, handmade.PRODUCTS)),
    (
        "revenue",
        {"date_from": "2025-01-01", "date_to": "2025-01-29"},
        lambda: reference.revenue(
            handmade.EVENTS, handmade.PRODUCTS, T(2025, 1, 1), T(2025, 1, 29)
        ),
    ),
    ("cohort", {}, lambda: reference.cohort(handmade.USERS, handmade.EVENTS)),
    ("cohort", {"weeks": 3}, lambda: reference.cohort(handmade.USERS, handmade.EVENTS, 3)),
    (
        "cohort",
        {"event_type": "purchased", "weeks": 8},
        lambda: reference.cohort(handmade.USERS, handmade.EVENTS, 8, "purchased"),
    ),
]


def _duckdb(data: Path, query: str, **params: Any) -> pa.Table:
    with open_engine("duckdb", DataDir(data)) as eng:
        eng.load()
        return eng.query(query, **params)


def _approx(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


@pytest.mark.parametrize(
    ("query", "params", "expected"), CASES, ids=[f"{q}-{p}" for q, p, _ in CASES]
)
def test_metric_equals_reference_and_duckdb(
    spark_engine: Any, handmade_dir: Path, query: str, params: dict[str, Any], expected: Any
) -> None:
    got = spark_engine.query(query, **params)
    assert got.to_pylist() == _approx(expected())
    # Exactly DuckDB's table: same column names, Arrow types, nullability and values
    # (DATE, BIGINT, DECIMAL(18,2), DOUBLE, BOOLEAN), not merely close.
    want = _duckdb(handmade_dir, query, **params)
    assert got.schema == want.schema
    assert got.equals(want)


def test_rollup_variant_equals_duckdb(spark_engine_factory: Any, handmade_dir: Path) -> None:
    """The bench's rollup variant: setups built as cached temp views, not warehouse tables.
    (Every variant x parameter set is also checked in tests/engines/test_cross_engine.py.)"""
    variant = "rollup"
    engine = spark_engine_factory(handmade_dir)
    engine.load()
    cases = [("wau", {"event_type": "purchased"}), ("revenue", {}), ("cohort", {"weeks": 3})]
    for query, params in cases:
        engine.prepare(query, variant)
        got = engine.query(query, variant, **params)
        with open_engine("duckdb", DataDir(handmade_dir)) as duck:
            duck.load()
            duck.prepare(query, variant)
            want = duck.query(query, variant, **params)
        assert got.equals(want), (query, variant)
    assert "rollup_week_mask" in engine._cached
    assert engine.session.catalog.isCached("rollup_week_mask")
    session = engine.session
    engine.close()
    assert not session.catalog.tableExists("rollup_week_mask")  # released by close()
    assert not (Path.cwd() / "spark-warehouse").exists()  # nothing written outside the data


def test_naive_timestamps_round_trip_across_year_end(
    spark_engine_factory: Any, tmp_path: Path
) -> None:
    """Microsecond, zone-less timestamps come back unshifted and land in their UTC week."""
    edge = [
        T(2024, 12, 29, 23, 59, 59, 999999),  # Sunday: the week of Mon 2024-12-23
        T(2024, 12, 30, 0, 0, 0, 0),  # Monday 00:00 UTC starts the week of 2024-12-30
        T(2024, 12, 31, 23, 59, 59, 999999),
        T(2025, 1, 1, 0, 0, 0, 1),
        T(2025, 1, 5, 23, 59, 59, 999999),  # still the week of 2024-12-30
        T(2025, 1, 6, 0, 0, 0, 0),
    ]
    events = [handmade._e(i + 1, "login", None, ts) for i, ts in enumerate(edge)]
    data = write_datadir(tmp_path / "edge", events=events)
    engine = spark_engine_factory(data)
    engine.load()
    got = engine.run("SELECT `timestamp` FROM events ORDER BY `timestamp`")
    assert got.schema.field("timestamp").type == pa.timestamp("us")  # naive, microseconds
    assert got.column("timestamp").to_pylist() == edge
    # Identical to what the Parquet files hold.
    stored = sorted(pq.read_table(data / "events").column("timestamp").to_pylist())
    assert stored == edge
    wau = engine.query("wau").to_pylist()
    assert wau == reference.wau(events)
    assert [(r["week_start"], r["active_users"]) for r in wau] == [
        (dt.date(2024, 12, 23), 1),
        (dt.date(2024, 12, 30), 4),
        (dt.date(2025, 1, 6), 1),
    ]
    assert engine.run("SELECT current_timezone() AS tz").column("tz").to_pylist() == ["UTC"]


def test_engines_over_two_data_dirs_keep_their_own_views(
    spark_engine_factory: Any, handmade_dir: Path, tmp_path: Path
) -> None:
    one_event = [handmade._e(1, "login", None, T(2025, 6, 2, 12, 0))]
    other = spark_engine_factory(write_datadir(tmp_path / "other", events=one_event))
    main = spark_engine_factory(handmade_dir)
    other.load()
    main.load()
    count = "SELECT COUNT(*) AS n FROM events"
    assert other.run(count).column("n").to_pylist() == [1]
    assert main.run(count).column("n").to_pylist() == [len(handmade.EVENTS)]
    # Both run on the one shared SparkContext.
    assert other.session.sparkContext is main.session.sparkContext


def test_views_hold_canonical_columns_over_the_partitioned_directory(spark_engine: Any) -> None:
    cols = spark_engine.run("SELECT * FROM events LIMIT 1").column_names
    # the canonical columns, the optional order columns included (NULL where no file has them)
    canonical = ["user_id", "event_type", "product_id", "timestamp"]
    assert cols == [*canonical, "order_id", "quantity", "amount", "currency"]
    sql = spark_engine.render("revenue", date_from="2025-03-01", date_to="2025-04-01")
    plan = spark_engine.explain(sql, analyze=False)
    # One scan of the events directory with the month=YYYY-MM partitions discovered, and the
    # date range pushed into the Parquet reader (row groups skipped on min/max statistics).
    assert "InMemoryFileIndex" in plan and "/events]" in plan
    assert "GreaterThanOrEqual(timestamp,2025-03-01T00:00)" in plan
    assert "LessThan(timestamp,2025-04-01T00:00)" in plan


def test_explain_formatted_and_executed_plan(spark_engine: Any) -> None:
    sql = spark_engine.render("wau")
    plan = spark_engine.explain(sql, analyze=False)
    assert "== Physical Plan ==" in plan and "Scan parquet" in plan
    executed = spark_engine.explain(sql, analyze=True)
    assert "AdaptiveSparkPlan" in executed and "isFinalPlan=true" in executed


def test_driver_errors_become_one_line_engine_errors(spark_engine: Any) -> None:
    with pytest.raises(EngineError) as missing:
        spark_engine.run("SELECT * FROM no_such_table")
    msg = str(missing.value)
    assert msg.startswith("spark: ") and "no_such_table" in msg and "\n" not in msg
    with pytest.raises(EngineError) as syntax:
        spark_engine.run("SELEC 1")
    assert "\n" not in str(syntax.value) and "SELEC" in str(syntax.value)


def test_settings_from_options_and_environment(
    spark_engine_factory: Any, handmade_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUCKY_SPARK_CONF", "spark.sql.adaptive.enabled=false")
    engine = spark_engine_factory(handmade_dir, **{"conf.spark.sql.shuffle.partitions": "3"})
    conf = engine.session.conf
    assert conf.get("spark.sql.shuffle.partitions") == "3"  # per-engine SQL setting
    assert conf.get("spark.sql.adaptive.enabled") == "false"  # from DUCKY_SPARK_CONF
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.sql.parquet.inferTimestampNTZ.enabled") == "true"


def test_bad_options_are_user_errors(handmade_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ducky.engines.spark import SparkEngine

    monkeypatch.delenv("DUCKY_SPARK_MASTER", raising=False)
    dd = DataDir(handmade_dir)
    with pytest.raises(UserError, match="no option"):
        SparkEngine(dd, mater="local[2]")
    with pytest.raises(UserError, match="threads"):
        SparkEngine(dd, threads="two")
    assert SparkEngine(dd, threads="3").master == "local[3]"
    with pytest.raises(UserError, match="UTC"):
        SparkEngine(dd, **{"conf.spark.sql.session.timeZone": "Europe/Paris"})


def test_missing_java_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ducky.engines.spark import SparkEngine, parse_java_version

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("DUCKY_SPARK_MASTER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no java anywhere
    reason = SparkEngine.unavailable_reason()
    assert reason is not None and "\n" not in reason
    assert "openjdk-17-jre-headless" in reason and "JAVA_HOME" in reason
    # The same check as open_engine makes it: a Spark Connect URL needs no local Java, the
    # JVM runs on the server; any other master still does.
    assert SparkEngine.unavailable_reason_for({"master": "sc://127.0.0.1:15002"}) is None
    assert SparkEngine.unavailable_reason_for({"master": "local[1]"}) == reason
    assert parse_java_version('openjdk version "17.0.15" 2025-04-15') == 17
    assert parse_java_version('java version "1.8.0_372"') == 8
    assert parse_java_version('openjdk version "21" 2023-09-19') == 21


def test_cli_query_wau_on_spark(handmade_dir: Path) -> None:
    # A subprocess starts its own JVM: the one such test in this file.
    r = run_cli(
        "--data",
        str(handmade_dir),
        "--json",
        "query",
        "wau",
        "--engine",
        "spark",
        "-o",
        "master=local[1]",
        "-o",
        "conf.spark.sql.shuffle.partitions=2",
    )
    assert r.code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["engine"] == "spark"
    rows = out["rows"]
    want = reference.wau(handmade.EVENTS)
    assert [(row["week_start"], row["active_users"], row["complete"]) for row in rows] == [
        (w["week_start"].isoformat(), w["active_users"], w["complete"]) for w in want
    ]
