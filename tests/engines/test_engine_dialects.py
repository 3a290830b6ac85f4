"""The engines' sqlglot dialects: the fix-ups their generators apply after the transpile, on
every rendering path (canonical queries, bench --sql-dir files, plain transpiles)."""

from __future__ import annotations

from pathlib import Path

import sqlglot

from ducky import sql as canonical_sql
from ducky.engines.postgres.dialect import DuckyPostgres, fix_postgres
from ducky.engines.spark.dialect import DuckySpark, bigint_sequences

SERIES = "SELECT w.week FROM UNNEST(GENERATE_SERIES(0, 8)) AS w(week)"


def _pg(sql: str) -> str:
    return canonical_sql.transpile(sql, "duckdb", DuckyPostgres(), pretty=False)


def test_postgres_unnest_of_series_becomes_a_bigint_set_returning_call() -> None:
    plain = sqlglot.transpile(SERIES, read="duckdb", write="postgres")[0]
    assert "UNNEST(GENERATE_SERIES" in plain.upper()  # what sqlglot alone emits (and PG rejects)
    out = _pg(SERIES)
    assert "UNNEST" not in out.upper()
    assert "GENERATE_SERIES(CAST(0 AS BIGINT), CAST(8 AS BIGINT)) AS w(week)" in out


def test_postgres_series_with_step_keeps_the_step_as_bigint() -> None:
    out = _pg("SELECT x FROM UNNEST(GENERATE_SERIES(1, 10, 3)) AS t(x)")
    assert "GENERATE_SERIES(CAST(1 AS BIGINT), CAST(10 AS BIGINT), CAST(3 AS BIGINT))" in out


def test_postgres_other_unnest_is_left_alone() -> None:
    out = _pg("SELECT x FROM UNNEST([1, 2, 3]) AS t(x)")
    assert "UNNEST(ARRAY[1, 2, 3])" in out


def test_fix_postgres_on_text_is_idempotent_and_a_no_op_without_unnest() -> None:
    text = "SELECT 1 AS one"
    assert fix_postgres(text) is text
    once = fix_postgres(sqlglot.transpile(SERIES, read="duckdb", write="postgres")[0])
    assert "UNNEST" not in once.upper()
    assert fix_postgres(once) == once


def test_spark_sequence_bounds_are_bigint() -> None:
    plain = sqlglot.transpile("SELECT GENERATE_SERIES(0, 8)", read="duckdb", write="spark")[0]
    assert "SEQUENCE(0, 8)" in plain
    out = canonical_sql.transpile(
        "SELECT GENERATE_SERIES(0, 8)", "duckdb", DuckySpark(), pretty=False
    )
    assert "SEQUENCE(CAST(0 AS BIGINT), CAST(8 AS BIGINT))" in out
    assert bigint_sequences(plain) == bigint_sequences(bigint_sequences(plain))


def test_engines_render_canonical_cohort_with_their_fixes() -> None:
    from ducky.engines.postgres import PostgresEngine
    from ducky.engines.spark import SparkEngine

    pg = PostgresEngine.render_sql("cohort", "optimized", {"weeks": 3})
    assert "UNNEST" not in pg.upper() and "CAST(3 AS BIGINT)" in pg
    spark = SparkEngine.render_sql("cohort", "optimized", {"weeks": 3})
    assert "SEQUENCE(CAST(0 AS BIGINT), CAST(3 AS BIGINT))" in spark


def test_bench_sql_dir_files_get_the_engine_fixes(tmp_path: Path, handmade_dir: Path) -> None:
    """--sql-dir is one more SQL root: its DuckDB-dialect files get PostgreSQL's fix-ups as the
    packaged ones do (before, the bench applied them by a dialect test, and missed Spark's)."""
    from ducky.bench.runner import BenchPlan, render_variant
    from ducky.datasets import DataDir
    from ducky.engines.postgres import PostgresEngine
    from ducky.engines.spark import SparkEngine

    (tmp_path / "cohort").mkdir()
    (tmp_path / "cohort" / "mine.sql").write_text(
        "SELECT w.week FROM UNNEST(GENERATE_SERIES(0, :weeks)) AS w(week)"
    )
    plan = BenchPlan(engines=[], queries=["cohort"], variants=["mine"], sql_dir=tmp_path)
    dd = DataDir(handmade_dir)
    pg = render_variant(
        PostgresEngine(dd, dsn="postgresql://nobody@127.0.0.1:1/none"), plan, "cohort", "mine"
    )
    assert "UNNEST" not in pg.upper() and "CAST(8 AS BIGINT)" in pg
    spark = render_variant(SparkEngine(dd), plan, "cohort", "mine")
    assert "CAST(8 AS BIGINT)" in spark
