"""One option vocabulary: --json after the subcommand, shared --from/--to, complete exports,
ducky.toml precedence, `ducky env`, shell completion."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from ducky.cli.options import date_range
from ducky.errors import UserError
from tests.cli_support import run_cli

ALL_AGES = {"where": {"type": "attribute", "column": "age", "op": "between", "value": [18, 90]}}


@pytest.mark.integration
def test_json_after_the_subcommand(handmade_dir: Path) -> None:
    data = ("--data", str(handmade_dir))
    before = run_cli(*data, "--json", "query", "cohort", "--event", "purchased")
    after = run_cli(*data, "query", "cohort", "--event", "purchased", "--json")  # README line
    assert after.code == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    engines = run_cli("engines", "--json")
    assert {e["name"] for e in json.loads(engines.stdout)} >= {"duckdb"}


@pytest.mark.parametrize(
    ("frm", "to", "want"),
    [
        ("2025-03", "2025-03", ("2025-03-01", "2025-04-01")),  # the whole of March
        ("2025-01", "2025-04", ("2025-01-01", "2025-05-01")),  # January..April
        ("2025-02-10", "2025-02-10", ("2025-02-10", "2025-02-11")),  # one day
        ("2024-02", "2024-02", ("2024-02-01", "2024-03-01")),  # leap February
        ("2025-12", None, ("2025-12-01", None)),
        (None, "2025-12", (None, "2026-01-01")),
    ],
)
def test_date_range_inclusive(frm: str | None, to: str | None, want: tuple[str, str]) -> None:
    assert date_range(frm, to) == want


def test_date_range_errors() -> None:
    with pytest.raises(UserError, match="--from 2025-04 is after --to 2025-03"):
        date_range("2025-04", "2025-03")
    with pytest.raises(UserError, match="is not a date"):
        date_range("2025-13", None)
    # Once cut to 10 characters and accepted: a trailing word, a compact date, a time of day.
    for bad in ("2025-01-16xyz", "20250116", "2025-01-16T10"):
        with pytest.raises(UserError, match=f"--to: '{bad}' is not a date"):
            date_range(None, bad)
    for timed in ("2025-01-16T23:59:59", "2025-01-16 12:00:00+05:00"):
        with pytest.raises(UserError, match="has a time of day, but this range is in whole days"):
            date_range(timed, None)
    assert date_range(" 2025-01-16 ", "2025-01-16") == ("2025-01-16", "2025-01-17")


@pytest.mark.integration
def test_audience_export_is_complete_and_count_prints_once(
    generated_dir: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "all.json"
    spec.write_text(json.dumps(ALL_AGES))
    data = ("--data", str(generated_dir))
    r = run_cli(*data, "audience", str(spec), "--format", "csv")  # 2,000 users: 1,000 a page
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.code == 0 and len(rows) == 2000 and len({x["user_id"] for x in rows}) == 2000
    assert r.stderr.strip() == ""
    r = run_cli(*data, "audience", str(spec), "--json")
    doc = json.loads(r.stdout)
    assert doc["total_count"] == len(doc["users"]) == len(set(doc["user_ids"])) == 2000
    r = run_cli(*data, "audience", str(spec), "--format", "csv", "--limit", "1500")
    assert len(r.stdout.splitlines()) == 1501
    assert "wrote 1,500 of 2,000 users (--limit 1500)" in r.stderr
    r = run_cli(*data, "audience", str(spec), "--count-only")
    assert r.stdout.count("2,000") == 1


@pytest.mark.integration
def test_config_file_precedence(
    handmade_dir: Path, generated_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUCKY_CONFIG")  # conftest turns the project file off; this test needs it
    project = tmp_path / "project"
    (project / "deep" / "er").mkdir(parents=True)
    (project / "ducky.toml").write_text(f'data = "{handmade_dir}"\nengine = "nope"\n')
    cwd = project / "deep" / "er"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DUCKY_DATA", "DUCKY_ENGINE", "DUCKY_CONFIG")
    }

    def wau(*args: str, **extra: str) -> object:
        return run_cli(*args, env={**env, **extra}, cwd=cwd)

    r = wau("query", "wau", "--json")  # file engine "nope": the file is read
    assert r.code == 2 and "unknown engine 'nope'" in r.stderr
    r = wau("query", "wau", "--json", DUCKY_ENGINE="duckdb")  # env beats file
    assert r.code == 0, r.stderr
    from_file = json.loads(r.stdout)["rows"]
    r = wau("query", "wau", "--json", "-e", "duckdb")  # flag beats file
    assert json.loads(r.stdout)["rows"] == from_file
    r = wau("--data", str(generated_dir), "query", "wau", "-e", "duckdb", "--json")
    assert json.loads(r.stdout)["rows"] != from_file  # --data beats the file's data
    r = wau("query", "wau", "-e", "duckdb", "--json", DUCKY_DATA=str(generated_dir))
    assert json.loads(r.stdout)["rows"] != from_file  # DUCKY_DATA beats the file's data
    (project / "ducky.toml").write_text("colour = 1\n")
    r = wau("engines")
    assert r.code == 2 and "unknown setting 'colour'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.integration
def test_env_command_masks_secrets(tmp_path: Path) -> None:
    env = {**os.environ, "DUCKY_ES_PASSWORD": "hunter2", "DUCKY_PG_DSN": "postgresql://u:pw@h/db"}
    r = run_cli("env", "--json", env=env, cwd=tmp_path)
    doc = {v["name"]: v["value"] for v in json.loads(r.stdout)["variables"]}
    assert doc["DUCKY_ES_PASSWORD"] == "****" and doc["DUCKY_PG_DSN"] == "postgresql://u:****@h/db"
    assert "hunter2" not in r.stdout and "pw@" not in r.stdout


@pytest.mark.integration
def test_shell_completion() -> None:
    env = {
        **os.environ,
        "_DUCKY_COMPLETE": "bash_complete",
        "COMP_WORDS": "ducky coh",
        "COMP_CWORD": "1",
    }
    r = run_cli(env=env)
    assert "cohort" in r.stdout
