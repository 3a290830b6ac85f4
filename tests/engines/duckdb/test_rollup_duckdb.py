"""Rollups in DuckDB's native database file, through the real CLI: built, fresh while the data
directory is the one they were built from, stale (and refused) once it is regenerated, rebuilt
on request; engines without maintained rollups say so in one line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ducky.datasets import DataDir
from ducky.engines.duckdb import DuckDBEngine
from ducky.engines.duckdb.rollups import DuckDBRollups
from ducky.engines.rollups import ensure_fresh
from ducky.errors import UserError
from tests import handmade, reference
from tests.cli_support import run_cli
from tests.handmade import write_datadir

NATIVE = ("-e", "duckdb", "-o", "mode=native")


def _rows(stdout: str) -> list[dict[str, Any]]:
    doc = json.loads(stdout)
    return doc["rows"] if isinstance(doc, dict) else doc


def _wau(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "week_start": r["week_start"].isoformat()} for r in reference.wau(events, None)]


# gen, load, rollup and query chained through the real CLI
@pytest.mark.integration
def test_native_rollups_build_query_and_go_stale(tmp_path: Path) -> None:
    data = write_datadir(tmp_path / "data")
    r = run_cli("--data", str(data), "--json", "rollup", "build", "-e", "duckdb")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {x["query"]: x["state"] for x in doc["rollups"]} == dict.fromkeys(
        ("wau", "revenue", "cohort"), "fresh"
    )
    assert doc["rollups"][0]["rows"] == 13 and doc["rollups"][0]["maintained"] is False
    # The command's time and the rollup's SQL time (status's build) are both given, apart.
    for x in doc["rollups"]:
        b = doc["built"][x["query"]]
        assert b["sql_seconds"] == round(x["build_s"], 4) and 0 < b["sql_seconds"] <= b["seconds"]
    # No size per table from DuckDB: the JSON says so and gives the whole file's size instead.
    with duckdb.connect(str(data / ".ducky" / "duckdb" / "ducky.duckdb"), read_only=True) as c:
        (used,) = c.execute(
            "SELECT block_size * used_blocks FROM pragma_database_size()"
        ).fetchone()
    mb = f"{used / 1e6:,.1f} MB"
    for x in doc["rollups"]:
        assert x["bytes"] is None and x["size_note"].endswith(f"together, holds {mb}")
    r = run_cli("--data", str(data), "rollup", "status", "-e", "duckdb")
    assert (
        r.code == 0
        and [ln.split("│")[7].strip() for ln in r.stdout.splitlines() if "fresh" in ln]
        == ["n/a"] * 3
    ), r.stdout
    assert r.stdout.count("size n/a: DuckDB reports no size per table") == 1 and mb in r.stdout
    r = run_cli("--data", str(data), "--json", "query", "wau", "--variant", "rollup", *NATIVE)
    assert r.code == 0, r.stderr
    assert _rows(r.stdout) == _wau(handmade.EVENTS)

    # A regenerated data directory (same path, state folder kept): the rollup is stale.
    extra = [handmade._e(3, "login", None, dt.datetime(2025, 3, 17, 9, 0))]
    write_datadir(data, events=[*handmade.EVENTS, *extra])
    r = run_cli("--data", str(data), "query", "wau", "--variant", "rollup", *NATIVE)
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert (
        "the wau rollup on duckdb" in r.stderr
        and "is stale (the data directory changed" in r.stderr
    )
    assert "ducky rollup refresh wau -e duckdb" in r.stderr
    r = run_cli(
        "--data", str(data), "--json", "query", "wau", "--variant", "rollup", *NATIVE,
        "--refresh-rollup",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    assert "refreshed the wau rollup on duckdb" in r.stderr
    assert _rows(r.stdout) == _wau([*handmade.EVENTS, *extra])
    r = run_cli("--data", str(data), "--json", "rollup", "status", "-e", "duckdb")
    states = {x["query"]: (x["state"], x["reason"]) for x in json.loads(r.stdout)["rollups"]}
    assert states["wau"] == ("fresh", None)
    assert states["cohort"] == ("stale", "the data directory changed since the build")
    r = run_cli("--data", str(data), "--json", "rollup", "refresh", "-e", "duckdb")
    built = json.loads(r.stdout)["built"]
    assert built["wau"]["action"] == "none (fresh)" and built["cohort"]["action"] == "rebuilt"
    r = run_cli("--data", str(data), "rollup", "drop", "cohort", "-e", "duckdb")
    assert r.code == 0 and "dropped the cohort rollup" in r.stdout
    with DuckDBEngine(DataDir(data), mode="native") as eng:
        store = DuckDBRollups(eng)
        assert store.status("cohort").state == "missing"
        # The bounds table is shared: still there for the wau rollup.
        assert store.status("wau").state == "fresh"
        assert eng.query("wau", "rollup").to_pylist() == eng.query("wau", "baseline").to_pylist()


def test_rollup_needs_an_engine_that_keeps_them(handmade_dir: Path, tmp_path: Path) -> None:
    r = run_cli("--data", str(handmade_dir), "query", "wau", "--variant", "rollup")
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "DuckDB keeps rollups in its native database file" in r.stderr
    db = tmp_path / "x.duckdb"
    with DuckDBEngine(DataDir(handmade_dir), mode="native", database=db) as eng:
        with pytest.raises(UserError, match="unknown rollup 'nope'"):
            ensure_fresh(eng, "nope")
        with pytest.raises(UserError, match=r"is missing \(never built\)"):
            ensure_fresh(eng, "revenue")
