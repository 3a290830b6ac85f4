"""A third engine added the way a third party would: one class that is not a DuckDB subclass
(SQLite through the stdlib's sqlite3, dialect "sqlite"), its own SQL override folder, and an
entry point in a planted dist-info. It passes the shared cross-engine suite (ducky.testing)
for wau, revenue and cohort, and the CLI reaches it by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ducky.datasets import DataDir
from ducky.testing import assert_matches_duckdb, cases, check_engine
from tests.cli_support import run_cli

PACKAGE_PARENT = Path(__file__).parents[1] / "third_party"


def _plant(root: Path) -> Path:
    dist = root / "ducky_sqlite-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ducky-sqlite\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ducky.engines]\nsqlite = ducky_sqlite:SqliteEngine\n")
    return root


@pytest.fixture
def sqlite_engine_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """ducky_sqlite importable and registered in `ducky.engines`, for this test only."""
    dist_root = _plant(tmp_path / "site")
    monkeypatch.syspath_prepend(str(PACKAGE_PARENT))
    monkeypatch.syspath_prepend(str(dist_root))
    yield dist_root


def test_registered_engine_is_not_duckdb(sqlite_engine_installed: Path) -> None:
    from ducky.engines import engine_class
    from ducky.engines.duckdb import DuckDBEngine

    cls = engine_class("sqlite")
    assert cls.dialect == "sqlite" and not issubclass(cls, DuckDBEngine)
    # Its own folder is searched first: the text that runs is its override, not a transpile.
    assert "JULIANDAY" in cls.render_sql("cohort").upper()


@pytest.mark.parametrize("dataset", ["handmade", "generated"])
def test_third_party_engine_passes_the_cross_engine_suite(
    sqlite_engine_installed: Path, request: pytest.FixtureRequest, dataset: str
) -> None:
    datadir = DataDir(request.getfixturevalue(f"{dataset}_dir"))
    assert len(cases()) == 6  # wau, revenue, cohort x (defaults, one set of options)
    assert_matches_duckdb("sqlite", datadir, queries=("wau", "revenue", "cohort"))


def test_suite_reports_a_wrong_engine(sqlite_engine_installed: Path, handmade_dir: Path) -> None:
    """The suite is not vacuous: an engine returning other rows fails it, naming the case."""
    from ducky.engines import open_engine

    datadir = DataDir(handmade_dir)
    with open_engine("sqlite", datadir) as eng:
        eng.load()
        eng.execute("DELETE FROM events WHERE event_type = 'purchased'")
        failures = check_engine(eng, datadir, cases(("revenue",)))
    assert failures and all(f.startswith("sqlite/revenue-optimized") for f in failures)


def test_cli_runs_a_query_on_the_third_party_engine(
    sqlite_engine_installed: Path, handmade_dir: Path
) -> None:
    import json
    import os

    inherited = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    path = os.pathsep.join([str(sqlite_engine_installed), str(PACKAGE_PARENT), *inherited])
    r = run_cli(
        "--data",
        str(handmade_dir),
        "--json",
        "query",
        "revenue",
        "-e",
        "sqlite",
        env={"PYTHONPATH": path},
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    rows = doc["rows"] if isinstance(doc, dict) else doc
    assert rows and {"category", "revenue", "purchases", "buyers"} <= set(rows[0])
