"""The CLI end to end: output formats, definitions, one-line errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli_support import run_cli


def test_version() -> None:
    r = run_cli("--version")
    assert r.code == 0 and "ducky, version 0.1.0" in r.stdout


def test_query_json_carries_definition_and_columns(handmade_dir: Path) -> None:
    r = run_cli("--data", str(handmade_dir), "--json", "query", "revenue")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["columns"] == [
        "category", "currency", "revenue", "purchases", "orders", "buyers", "avg_order_value"
    ]  # fmt: skip
    assert doc["rows"][0] == {
        "category": "electronics",
        "currency": "USD",
        "revenue": 250.5,
        "purchases": 3,
        "orders": 3,
        "buyers": 3,
        "avg_order_value": 83.5,
    }
    assert "never summed across currencies" in doc["definition"]


def test_query_csv(handmade_dir: Path) -> None:
    r = run_cli("--data", str(handmade_dir), "query", "wau", "--format", "csv")
    assert r.code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["week_start", "active_users", "complete"]
    assert rows[0] == {"week_start": "2024-12-30", "active_users": "3", "complete": "True"}


def test_query_table_shows_definition_footer(handmade_dir: Path) -> None:
    r = run_cli("--data", str(handmade_dir), "query", "cohort", "--weeks", "2")
    assert r.code == 0, r.stderr
    assert "cohort_month" in r.stdout and "never 0 %" in r.stdout


def test_data_dir_from_environment(handmade_dir: Path) -> None:
    r = run_cli("--json", "query", "wau", env={"DUCKY_DATA": str(handmade_dir)})
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["rows"][0]["active_users"] == 3


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (
            ["query", "wau"],
            "error: data directory {tmp}/missing does not exist: create one with `ducky gen`",
            2,
        ),
        (["query", "wau", "--event", "bought"], "error: unknown event type 'bought'", 2),
        (
            ["query", "revenue", "--from", "yesterday"],
            "error: --from: 'yesterday' is not a date",
            2,
        ),
        (["query", "wau", "--engine", "nosuch"], "error: unknown engine 'nosuch'", 2),
        (["query", "wau", "--variant", "nosuch"], "error: query 'wau' has no variant 'nosuch'", 2),
        (["query", "wau", "-o", "mode"], "error: engine option 'mode' must look like KEY=VALUE", 2),
        (["query", "nosuch"], "'nosuch' is not one of 'wau', 'revenue', 'cohort'", 2),
    ],
)
def test_user_mistakes_give_one_line_and_exit_code(
    handmade_dir: Path, tmp_path: Path, args: list[str], message: str, code: int
) -> None:
    data = str(tmp_path / "missing") if args == ["query", "wau"] else str(handmade_dir)
    r = run_cli("--data", data, *args)
    assert r.code == code
    assert message.format(tmp=tmp_path) in r.stderr
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) <= 3  # click usage errors print usage + hint + the error line


def test_corrupt_parquet_is_a_clear_error(tmp_path: Path) -> None:
    from tests.handmade import write_datadir

    d = write_datadir(tmp_path / "d")
    (d / "users.parquet").write_bytes(b"not parquet")
    r = run_cli("--data", str(d), "query", "cohort")
    assert r.code == 2
    assert r.stderr.startswith("error: users.parquet: not a readable Parquet file")


def test_debug_shows_traceback(tmp_path: Path) -> None:
    r = run_cli("--debug", "--data", str(tmp_path / "missing"), "query", "wau")
    assert r.code == 2 and "Traceback" in r.stderr


def test_sql_show_renders_per_dialect() -> None:
    r = run_cli("sql", "show", "wau", "--engine", "duckdb", "--variant", "baseline")
    assert r.code == 0
    assert "DATE_TRUNC('WEEK'" in r.stdout and "NULL IS NULL" in r.stdout
    spark = run_cli("sql", "show", "wau", "--engine", "spark", "--variant", "baseline")
    assert spark.code == 0 and "`timestamp`" in spark.stdout and '"timestamp"' in r.stdout


def test_engines_lists_duckdb_as_available() -> None:
    r = run_cli("--json", "engines")
    infos = {i["name"]: i for i in json.loads(r.stdout)}
    assert infos["duckdb"]["available"] is True
    assert infos["duckdb"]["target"] == "ducky.engines.duckdb:DuckDBEngine"
