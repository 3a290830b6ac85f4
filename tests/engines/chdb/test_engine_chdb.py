"""The chdb engine (embedded ClickHouse): the cross-engine parity matrix against DuckDB's
baseline and the pure-Python reference, on the hand-made and generated data, plus discovery
through the `ducky.engines` entry point and the CLI.

Until the installed distribution's metadata lists `chdb` (pyproject.toml does; a reinstall
writes it), the entry-point tests plant a dist-info with that one line on PYTHONPATH, the way a
third-party engine would be installed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ducky import sql as canonical_sql
from ducky.bench.runner import compare, compare_rows
from ducky.datasets import DataDir
from ducky.engines.duckdb import DuckDBEngine
from tests.cli_support import run_cli
from tests.engines.test_cross_engine import PARAMS, _reference

pytest.importorskip("chdb", reason="chdb is in the bench extra: pip install 'ducky[bench]'")

from ducky.engines.chdb import ChdbEngine


@pytest.fixture(scope="module")
def engines(handmade_dir: Path, generated_dir: Path) -> Iterator[dict[str, Any]]:
    opened: dict[str, Any] = {}
    for name, path in (("handmade", handmade_dir), ("generated", generated_dir)):
        dd = DataDir(path)
        duck, ch = DuckDBEngine(dd), ChdbEngine(dd)
        for e in (duck, ch):
            e.connect()
            e.load()
        opened[name] = (dd, duck, ch)
    yield opened
    for _, duck, ch in opened.values():
        duck.close()
        ch.close()


# The pure-Python reference reads every event into Python objects: computed once per
# (dataset, query, parameters) rather than once per variant, as test_cross_engine does.
_REFERENCES: dict[tuple[str, str, str], list[dict[str, Any]]] = {}


def _reference_once(
    dataset: str, dd: DataDir, query: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    key = (dataset, query, repr(sorted(params.items())))
    if key not in _REFERENCES:
        _REFERENCES[key] = _reference(dd, query, params)
    return _REFERENCES[key]


MATRIX = [
    pytest.param(ds, q, v, id=f"chdb-{ds}-{q}-{v}")
    for ds in ("handmade", "generated")
    for q in canonical_sql.QUERIES
    for v in ("baseline", "optimized", "rollup")
]


@pytest.mark.parametrize(("dataset", "query", "variant"), MATRIX)
def test_chdb_equals_duckdb_baseline_and_reference(
    engines: dict[str, Any], dataset: str, query: str, variant: str
) -> None:
    dd, duck, ch = engines[dataset]
    ch.prepare(query, variant)
    for params in PARAMS[query]:
        baseline = duck.query(query, "baseline", **params)
        assert baseline.num_rows > 0
        got = ch.query(query, variant, **params)
        assert compare(baseline, got) is None, (
            f"{query}/{variant} {params}: {compare(baseline, got)}"
        )
        ref = _reference_once(dataset, dd, query, params)
        assert compare_rows(ref, got.to_pylist()) is None


def test_week_starts_on_monday_and_nulls_survive_left_join(engines: dict[str, Any]) -> None:
    # ClickHouse traps: toStartOfWeek's default is Sunday; LEFT JOIN fills 0 without join_use_nulls.
    _, _, ch = engines["handmade"]
    weeks = ch.query("wau", "optimized").column("week_start").to_pylist()
    assert weeks and all(w.weekday() == 0 for w in weeks)
    got = ch.run(
        "SELECT a.x AS x, b.y AS y FROM (SELECT 1 AS x) AS a"
        " LEFT JOIN (SELECT 2 AS x, 5 AS y) AS b ON a.x = b.x"
    )
    assert got.to_pylist() == [{"x": 1, "y": None}]


def test_booleans_come_back_as_arrow_bool(engines: dict[str, Any]) -> None:
    _, _, ch = engines["handmade"]
    got = ch.run("SELECT 1 = 1 AS t, 1 = 2 AS f")
    assert got.schema.field("t").type == pa.bool_()
    assert got.to_pylist() == [{"t": True, "f": False}]


def test_explain_and_bad_sql(engines: dict[str, Any]) -> None:
    from ducky.errors import EngineError

    _, _, ch = engines["handmade"]
    plan = ch.explain(ch.render("wau", "optimized"), analyze=False)
    assert "Aggregating" in plan
    with pytest.raises(EngineError, match=r"^chdb: "):
        ch.run("SELECT no_such_column FROM events")


@pytest.fixture
def planted(tmp_path: Path) -> dict[str, str]:
    """PYTHONPATH with a dist-info that registers the chdb engine by entry point."""
    dist = tmp_path / "ducky_chdb_overlay-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ducky-chdb-overlay\nVersion: 0\n")
    (dist / "entry_points.txt").write_text(
        "[ducky.engines]\nchdb = ducky.engines.chdb:ChdbEngine\n"
    )
    return {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}


def test_registered_by_entry_point_and_runs_from_the_cli(
    planted: dict[str, str], handmade_dir: Path
) -> None:
    r = run_cli("--json", "engines", env=planted)
    assert r.code == 0, r.stderr
    infos = {i["name"]: i for i in json.loads(r.stdout)}
    assert infos["chdb"]["available"] is True
    r = run_cli(
        "--data", str(handmade_dir), "--json", "query", "wau", "--engine", "chdb", env=planted
    )
    assert r.code == 0, r.stderr
    duck = DuckDBEngine(DataDir(handmade_dir))
    with duck:
        duck.load()
        want = duck.query("wau", "baseline").to_pylist()
    got = json.loads(r.stdout)
    rows = got["rows"] if isinstance(got, dict) else got
    assert [(str(w["week_start"]), w["active_users"], w["complete"]) for w in want] == [
        (row["week_start"], row["active_users"], row["complete"]) for row in rows
    ]
