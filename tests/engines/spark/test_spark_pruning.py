"""Month-folder pruning on the spark engine: a date-ranged query reads only the month=YYYY-MM
folders overlapping its range, proven by the plan (PartitionFilters) and by a corrupt file in
an excluded month that the pruned query never opens. Results still equal DuckDB's.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ducky.datasets import DataDir
from ducky.engines import open_engine
from ducky.engines.spark import month_span, retarget_table
from ducky.errors import EngineError
from tests import handmade, reference

JANUARY = {"date_from": "2025-01-01", "date_to": "2025-02-01"}


def test_month_span_covers_exactly_the_half_open_range() -> None:
    assert month_span("2025-01-01", "2025-02-01") == ("2025-01", "2025-01")
    assert month_span("2025-01-15", "2025-02-01T00:00:00.000001") == ("2025-01", "2025-02")
    assert month_span("2024-12-31", "2025-03-01") == ("2024-12", "2025-02")
    assert month_span(None, "2025-02-15") == ("0000-00", "2025-02")
    assert month_span("2025-02-01", None) == ("2025-02", "9999-99")
    assert month_span(dt.date(2025, 3, 1), dt.datetime(2025, 3, 2)) == ("2025-03", "2025-03")
    assert month_span(None, None) is None


def test_retarget_table_rewrites_only_the_table() -> None:
    sql = "SELECT e.user_id FROM events AS e JOIN products AS p ON p.product_id = e.product_id"
    out = retarget_table(sql, "events", "events_m")
    assert "FROM events_m AS e" in out and "JOIN products AS p" in out
    assert retarget_table("SELECT 1 FROM other.events", "events", "events_m").count("events_m") == 0
    shadowed = "WITH events AS (SELECT 1 AS x) SELECT x FROM events"
    assert retarget_table(shadowed, "events", "events_m") == shadowed


def _duckdb(data: Path, query: str, **params: Any) -> pa.Table:
    with open_engine("duckdb", DataDir(data)) as eng:
        eng.load()
        return eng.query(query, **params)


@pytest.fixture(scope="module")
def poisoned_dir(handmade_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made data (4 months: 2024-12 .. 2025-03) plus a file that is not Parquet in
    month=2024-12: any scan that opens that folder fails."""
    data = tmp_path_factory.mktemp("pruning") / "data"
    shutil.copytree(handmade_dir, data)
    (data / "events" / "month=2024-12" / "part-zz.parquet").write_bytes(b"not parquet" * 100)
    return data


@pytest.mark.spark
@pytest.mark.integration
def test_plan_shows_partition_filters_and_results_equal_duckdb(
    spark_engine: Any, handmade_dir: Path
) -> None:
    months = sorted(p.name for p in (handmade_dir / "events").iterdir())
    assert len(months) >= 3  # a multi-month data directory
    sql = spark_engine.render("revenue", **JANUARY)
    assert "events_months_202501_202501" in sql
    plan = spark_engine.explain(sql, analyze=True)  # the plan Spark executed
    found = re.search(r"PartitionFilters: \[isnotnull\(month#\d+\), \(month#\d+ >= 2025-01\), "
                      r"\(month#\d+ <= 2025-01\)\]", plan)  # fmt: skip
    assert found, plan
    got = spark_engine.run(sql)
    assert got.equals(_duckdb(handmade_dir, "revenue", **JANUARY))
    expected = reference.revenue(
        handmade.EVENTS, handmade.PRODUCTS, dt.datetime(2025, 1, 1), dt.datetime(2025, 2, 1)
    )
    assert got.to_pylist() == expected
    # No date range, no pruning: the full events view.
    assert "events_months" not in spark_engine.render("revenue")
    assert "events_months" not in spark_engine.render("wau")


@pytest.mark.spark
@pytest.mark.integration
def test_pruned_query_never_opens_excluded_months(
    spark_engine_factory: Any, poisoned_dir: Path, handmade_dir: Path
) -> None:
    pruned = spark_engine_factory(poisoned_dir)
    pruned.load()
    got = pruned.query("revenue", **JANUARY)
    assert got.equals(_duckdb(handmade_dir, "revenue", **JANUARY))
    # The same query without pruning opens every folder and hits the bad file: the row-group
    # statistics pushdown (PushedFilters) alone still reads each file's footer.
    unpruned = spark_engine_factory(poisoned_dir, prune_months="false")
    unpruned.load()
    with pytest.raises(EngineError, match=r"part-zz\.parquet|not a Parquet file"):
        unpruned.query("revenue", **JANUARY)
    # A range that includes 2024-12 reads it, on the pruned engine too.
    with pytest.raises(EngineError):
        pruned.query("revenue", date_from="2024-12-01", date_to="2025-01-01")
