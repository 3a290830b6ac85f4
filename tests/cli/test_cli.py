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


@pytest.mark.integration
def test_query_cohort_says_when_signups_were_derived(tmp_path: Path) -> None:
    # No users file: ingest derives signup = first event, and METRICS.md asks every result
    # that depends on it to say so; `ducky cohort` did, `ducky query cohort` did not.
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,event_type,product_id,timestamp\n"
        "1,login,,2024-01-02T10:00:00Z\n"
        "1,login,,2024-01-10T10:00:00Z\n"
        "2,login,,2024-01-03T10:00:00Z\n"
    )
    data = str(tmp_path / "data")
    assert run_cli("--data", data, "ingest", "--events", str(events)).code == 0
    note = "Users were derived from events (the source had no users table)"
    doc = json.loads(run_cli("--data", data, "--json", "query", "cohort", "--weeks", "1").stdout)
    assert note in doc["definition"]
    assert [(r["cohort_month"], r["week"], r["retained"]) for r in doc["rows"]][:2] == [
        ("2024-01-01", 0, 2),
        ("2024-01-01", 1, 1),
    ]
    table = run_cli("--data", data, "query", "cohort", "--weeks", "1")
    assert note in " ".join(table.stdout.split())
    # revenue and wau do not depend on signups: no such note there
    assert (
        note
        not in json.loads(run_cli("--data", data, "--json", "query", "wau").stdout)["definition"]
    )


@pytest.mark.parametrize("alias", ["purchase", "Purchase_Made", "order completed"])
def test_event_aliases_ingest_knows_filter_like_the_canonical_name(
    handmade_dir: Path, alias: str
) -> None:
    want = run_cli("--data", str(handmade_dir), "--json", "query", "wau", "--event", "purchased")
    got = run_cli("--data", str(handmade_dir), "--json", "query", "wau", "--event", alias)
    assert got.code == 0, got.stderr
    assert json.loads(got.stdout)["parameters"] == {"event_type": "purchased"}
    assert json.loads(got.stdout)["rows"] == json.loads(want.stdout)["rows"]
    assert sum(r["active_users"] for r in json.loads(got.stdout)["rows"]) > 0


def test_a_header_only_events_file_leaves_a_directory_that_says_what_to_do(
    tmp_path: Path,
) -> None:
    events = tmp_path / "events.csv"
    events.write_text("user_id,event_type,product_id,timestamp\n")
    data = tmp_path / "data"
    r = run_cli("--data", str(data), "ingest", "--events", str(events))
    assert r.code == 0 and "0 record(s), expected at least 1" in r.stdout
    q = run_cli("--data", str(data), "query", "wau")
    assert q.code == 2
    assert q.stderr == (
        f"error: {data}: table events is missing (expected events): nothing was ingested for "
        "it yet; add it with `ducky ingest --events FILE`\n"
    )


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
        (
            ["query", "wau", "--event", "bought"],
            "error: no event named 'bought' in the data (the data's event names: viewed",
            2,
        ),
        (
            ["query", "revenue", "--from", "yesterday"],
            "error: --from: 'yesterday' is not a date",
            2,
        ),
        (["query", "wau", "--engine", "nosuch"], "error: unknown engine 'nosuch'", 2),
        (["query", "wau", "--variant", "nosuch"], "error: query 'wau' has no variant 'nosuch'", 2),
        (["query", "wau", "-o", "mode"], "error: engine option 'mode' must look like KEY=VALUE", 2),
        (
            ["query", "nosuch"],
            "error: Invalid value for '{{wau|revenue|cohort}}': 'nosuch' is not one of 'wau', "
            "'revenue', 'cohort'. (see 'ducky query --help')",
            2,
        ),
        (["querry", "wau"], "error: No such command 'querry'. Did you mean 'query'?", 2),
        (
            ["query", "wua"],
            "'wua' is not one of 'wau', 'revenue', 'cohort'. Did you mean 'wau'? (see 'ducky "
            "query --help')",
            2,
        ),
        (
            ["cohort", "--weeks", "abc"],
            "error: Invalid value for '--weeks': 'abc' is not a whole number.",
            2,
        ),
        (["query", "wau", "--evnt", "x"], "error: No such option '--evnt'.", 2),
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
    assert len(r.stderr.splitlines()) == 1, r.stderr  # click's own usage errors too


@pytest.mark.parametrize("action", ["status", "drop", "build", "refresh"])
def test_rollup_on_a_mistyped_data_dir_creates_nothing(tmp_path: Path, action: str) -> None:
    # DuckDB's storage used to create <data>/.ducky: status said "missing", exit 0.
    r = run_cli("--data", str(tmp_path / "typo"), "rollup", action)
    assert r.code == 2
    assert r.stderr == (
        f"error: data directory {tmp_path}/typo does not exist: create one with `ducky gen` "
        "or `ducky ingest`, or point --data / DUCKY_DATA at one\n"
    )
    assert not (tmp_path / "typo").exists()


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


def test_sql_show_says_when_a_dialect_cannot_run_the_text() -> None:
    # sqlglot passes DuckDB-only functions through unchanged: the text printed for bigquery
    # would fail there, so the command says so (stderr, and "notes" in JSON).
    r = run_cli("sql", "show", "wau", "--dialect", "bigquery")
    assert r.code == 0 and "BITSTRING_AGG" in r.stdout
    assert r.stderr == (
        "note: BITSTRING_AGG, BIT_COUNT, EPOCH_US are DuckDB functions with no bigquery "
        "translation, so this text will not run on bigquery as is; --variant baseline is the "
        "portable form\n"
    )
    portable = run_cli(
        "--json", "sql", "show", "wau", "--dialect", "bigquery", "--variant", "baseline"
    )
    doc = json.loads(portable.stdout)
    assert (doc["query"], doc["variant"], doc["dialect"], doc["notes"]) == (
        "wau",
        "baseline",
        "bigquery",
        [],
    )
    assert "COUNT(DISTINCT" in doc["sql"] and portable.stderr == ""


def test_sql_json_and_rollup_on_an_engine_without_rollups() -> None:
    listed = json.loads(run_cli("sql", "list", "--json").stdout)
    assert listed == {
        "queries": {q: ["baseline", "optimized", "rollup"] for q in ("wau", "revenue", "cohort")}
    }
    r = run_cli("sql", "show", "cohort", "-e", "spark", "--variant", "rollup")
    assert r.code == 2
    assert r.stderr.startswith(
        "error: engine 'spark' keeps no rollups, so it never runs the rollup variant (-e duckdb"
    )


def test_engines_lists_duckdb_as_available() -> None:
    r = run_cli("--json", "engines")
    infos = {i["name"]: i for i in json.loads(r.stdout)}
    assert infos["duckdb"]["available"] is True
    assert infos["duckdb"]["target"] == "ducky.engines.duckdb:DuckDBEngine"
