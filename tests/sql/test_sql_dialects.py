"""`ducky sql show QUERY --dialect D`: rendered-SQL snapshots for warehouses ducky cannot reach.

The snapshots under tests/data/sql_dialects/ are the reviewed text; regenerate them with
DUCKY_UPDATE_SNAPSHOTS=1 after a deliberate change and review the diff. Each rendering must
also parse back with sqlglot in its own dialect, and BigQuery's keeps the canonical ISO week.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ducky.sql.dialects import render_dialect
from tests.cli_support import run_cli

SNAPSHOTS = Path(__file__).parents[1] / "data" / "sql_dialects"
DIALECTS = ("bigquery", "snowflake", "clickhouse")
QUERIES = ("wau", "revenue", "cohort")
VARIANTS = ("baseline", "optimized")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_sql_matches_the_snapshot(dialect: str, query: str, variant: str) -> None:
    import sqlglot

    text = render_dialect(query, dialect, variant)
    path = SNAPSHOTS / dialect / f"{query}.{variant}.sql"
    if os.environ.get("DUCKY_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text()
    assert all(t is not None for t in sqlglot.parse(text, read=dialect))


@pytest.mark.parametrize("query", QUERIES)
def test_bigquery_keeps_the_canonical_week_and_types(query: str) -> None:
    text = render_dialect(query, "bigquery", "baseline")
    assert "TIMESTAMP_TRUNC" not in text  # `timestamp` is a DATETIME there, signup_date a DATE
    assert ", WEEK)" not in text  # BigQuery's plain WEEK starts on Sunday
    assert "AS DATE) + " not in text  # no date + integer in BigQuery
    if query == "wau":
        assert "DATETIME_TRUNC(`timestamp`, WEEK(MONDAY))" in text
        assert (
            "DATE_ADD(CAST(DATETIME_TRUNC(`timestamp`, WEEK(MONDAY)) AS DATE), INTERVAL 6 DAY)"
            in text
        )


def test_cli_and_unknown_dialect() -> None:
    r = run_cli("sql", "show", "wau", "--dialect", "bigquery", "--variant", "baseline")
    assert r.code == 0, r.stderr
    assert r.stdout == render_dialect("wau", "bigquery", "baseline") + "\n"
    r = run_cli("sql", "show", "wau", "--dialect", "nosuchsql")
    assert r.code == 2
    assert r.stderr.startswith("error: unknown SQL dialect 'nosuchsql': choose one of ")
    assert "bigquery" in r.stderr and len(r.stderr.strip().splitlines()) == 1
