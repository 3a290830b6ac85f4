"""What keeps a `ducky query` call cheap (issue 20): the rendered-SQL cache and the stat-only
validation stamp. Both must be invalidated by the change they stand in for."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ducky import sql as canonical_sql
from ducky.datasets import DataDir
from ducky.engines import engine_class
from ducky.errors import DataDirError


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ducky" / "sql"


def test_rendered_sql_is_cached_and_keyed_by_source_and_params(cache: Path, tmp_path: Path) -> None:
    cls = engine_class("postgres")
    first = cls.render_sql("wau", "baseline", {"event_type": "login"})
    files = list(cache.glob("*.sql"))
    assert len(files) == 1 and files[0].read_text() == first
    assert "'login'" in first
    # A hit returns the same text without rendering; other parameters are another key.
    assert cls.render_sql("wau", "baseline", {"event_type": "login"}) == first
    other = cls.render_sql("wau", "baseline", {"event_type": "viewed"})
    assert "'viewed'" in other and len(list(cache.glob("*.sql"))) == 2
    # An edited SQL file (here: a --sql-dir override) renders afresh.
    root = tmp_path / "sqldir"
    (root / "wau").mkdir(parents=True)
    (root / "wau" / "baseline.sql").write_text("SELECT 1 AS a")
    assert "1 AS a" in cls.render_sql("wau", "baseline", roots=[root])
    (root / "wau" / "baseline.sql").write_text("SELECT 2 AS a")
    assert "2 AS a" in cls.render_sql("wau", "baseline", roots=[root])


def test_cache_hit_needs_no_sqlglot_and_uncached_equals_cached(cache: Path) -> None:
    import os
    import subprocess

    plain = canonical_sql.render("cohort", "duckdb", "optimized")
    code = (
        "import sys; from ducky import sql; t = sql.render('cohort', 'duckdb', 'optimized'); "
        "print('sqlglot' in sys.modules); sys.stdout.write(t)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(canonical_sql.__file__).parents[2])}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out == "False\n" + plain  # a hit neither imports sqlglot nor changes the text
    for f in cache.glob("*.sql"):
        f.unlink()
    assert canonical_sql.render("cohort", "duckdb", "optimized") == plain


def test_validation_stamp_skips_unchanged_and_catches_a_rewrite(
    handmade_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "shop"
    shutil.copytree(handmade_dir, copy)
    dd = DataDir(copy)
    dd.validate()
    assert (copy / ".ducky" / "validated.json").is_file()
    dd.validate()  # unchanged: the stamp matches
    # A products file rewritten with a wrong column type changes size/mtime: checked again.
    f = dd.table_files("products")[0]
    bad = pq.read_table(f).append_column("surprise", pa.array([1] * pq.read_metadata(f).num_rows))
    pq.write_table(bad, f)
    with pytest.raises(DataDirError, match="unexpected column"):
        dd.validate()


def test_query_cli_prints_without_pyarrow(tmp_path: Path, cache: Path) -> None:
    """`ducky query` on DuckDB prints from fetchall() (no pyarrow/numpy import) once the data
    directory's validation stamp exists; the first call validates the footers (pyarrow)."""
    import os
    import subprocess

    from tests.handmade import write_datadir

    root = write_datadir(tmp_path / "shop")
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['ducky', '--data', {str(root)!r}, 'query', 'revenue', '--format', 'csv']\n"
        "try:\n    runpy.run_module('ducky', run_name='__main__')\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('pyarrow' in sys.modules, 'numpy' in sys.modules, file=sys.stderr)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(canonical_sql.__file__).parents[2]),
        "XDG_CACHE_HOME": str(cache.parents[1]),
    }
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    assert runs[1].stderr.strip().splitlines()[-1] == "False False", runs[1].stderr
    assert runs[0].stdout == runs[1].stdout and runs[1].stdout.startswith("category,")


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("query", ["wau", "revenue", "cohort"])
def test_rows_path_prints_what_the_arrow_path_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str, fmt: str
) -> None:
    from ducky.cli.output import emit
    from ducky.engines.duckdb.engine import DuckDBEngine, Rows, rows_results
    from tests.handmade import write_datadir

    dd = DataDir(write_datadir(tmp_path / "shop"))
    out = []
    with DuckDBEngine(dd) as eng:
        eng.load()
        arrow = eng.query(query, "optimized")
        with rows_results():
            rows = eng.query(query, "optimized")
    assert isinstance(arrow, pa.Table) and isinstance(rows, Rows)
    assert rows.to_pylist() == arrow.to_pylist() and rows.num_rows > 0
    for table in (arrow, rows):
        emit(table, fmt, title=query, definition="d", meta={"query": query})
        out.append(capsys.readouterr().out)
    assert out[0] == out[1]
