"""What keeps a `ducky query` call cheap (issue 20): the rendered-SQL cache and the stat-only
validation stamp (both must be invalidated by the change they stand in for), the remembered
sqlglot version, and the modules a piped query or a rollup answer never imports."""

from __future__ import annotations

import ast
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


# -- what a `ducky query` call imports (issue 20, CLI overhead) --------------------------------
# Each of these costs tens of ms of a ~0.2 s call and is not needed to print a DuckDB answer
# to a pipe once the SQL rendering is cached: rich (the plain table renderer draws the same
# text), pyarrow/numpy/pandas (fetchall rows), sqlglot (the rendered-SQL cache), tomllib (no
# ducky.toml), the PostgreSQL engine and the data directory writer (lazy package attributes).
NOT_IMPORTED = (
    "rich",
    "pyarrow",
    "numpy",
    "pandas",
    "sqlglot",
    "tomllib",
    "psycopg",
    "httpx",
    "ducky.engines.postgres.engine",
    "ducky.datasets.writer",
)


def _imports_of_query(root: Path, cache: Path, *args: str) -> tuple[str, list[str]]:
    """Run `ducky --data root query ARGS` twice in a subprocess with stdout piped (the first
    call fills the rendered-SQL cache and the validation stamp); the second call's stdout and
    which of NOT_IMPORTED it imported."""
    import os
    import subprocess

    code = (
        "import runpy, sys\n"
        f"sys.argv = ['ducky', '--data', {str(root)!r}, 'query', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('ducky', run_name='__main__')\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        f"print([m for m in {NOT_IMPORTED!r} if m in sys.modules], file=sys.stderr)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(canonical_sql.__file__).parents[2]),
        "XDG_CACHE_HOME": str(cache.parents[1]),
        "DUCKY_CONFIG": "",  # no project file, whatever the working directory holds
    }
    for var in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        env.pop(var, None)
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=root
        )
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    assert runs[0].stdout == runs[1].stdout
    imported = runs[1].stderr.strip().splitlines()[-1]
    return runs[1].stdout, ast.literal_eval(imported)  # a printed list of module names


def test_piped_query_table_imports_nothing_heavy(tmp_path: Path, cache: Path) -> None:
    from tests.handmade import write_datadir

    root = write_datadir(tmp_path / "shop")
    out, imported = _imports_of_query(root, cache, "wau")
    assert imported == []
    # The plain renderer's table: title, box, every row, the definition under it.
    lines = out.splitlines()
    assert lines[0].strip() == "wau (duckdb, optimized)" and lines[1].startswith("┏")
    assert lines[2].split("┃")[1:4] == [" week_start ", " active_users ", " complete "]
    assert lines[-1].startswith("Weekly active users: distinct user_id")
    assert sum(line.startswith("│ 20") for line in lines) == 7  # the handmade shop's weeks


@pytest.mark.integration  # six whole `ducky query` runs and three rollup builds: ~3 s
def test_rollup_answer_imports_nothing_heavy_and_reads_no_footer(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ducky.engines.duckdb.engine import DuckDBEngine
    from ducky.engines.duckdb.rollups import DuckDBRollups
    from ducky.queries import run_query
    from tests.handmade import write_datadir

    root = write_datadir(tmp_path / "shop")
    with DuckDBEngine(DataDir(root), mode="native") as eng:
        store = DuckDBRollups(eng)
        for q in ("wau", "revenue", "cohort"):
            store.build(q)
        # rows() is run() without Arrow: the same dicts
        sql = "SELECT table_name, 1.5 AS x FROM duckdb_tables() ORDER BY 1"
        assert eng.rows(sql) == eng.run(sql).to_pylist()
    printed = {}
    for q in ("wau", "revenue", "cohort"):
        out, imported = _imports_of_query(root, cache, q, "-V", "rollup", "-o", "mode=native")
        assert imported == [], q
        assert f"{q} (duckdb, rollup)" in out.splitlines()[0]
        printed[q] = sum(line.startswith("│ ") for line in out.splitlines())

    # The native tables already hold this data: no Parquet footer is read on the way.
    def no_footers(self: DuckDBEngine, tables: list[str]) -> dict[str, list[str]]:
        raise AssertionError(f"footers read for {tables}")

    monkeypatch.setattr(DuckDBEngine, "_read_present", no_footers)
    for q in ("wau", "revenue", "cohort"):
        table = run_query(DataDir(root), q, "duckdb", "rollup", {"mode": "native"})
        assert table.num_rows == printed[q] > 0


def test_sqlglot_version_is_remembered_under_a_stamp(cache: Path) -> None:
    from importlib.metadata import version

    from ducky.sql import catalog

    real = version("sqlglot")
    assert catalog._sqlglot_version() == real
    memo = cache / "version.txt"
    stamp, saved = memo.read_text().splitlines()
    assert saved == real and "sqlglot" in stamp
    # The remembered answer is what a later call reads (no importlib.metadata) ...
    memo.write_text(f"{stamp}\n0.0-remembered\n")
    assert catalog._sqlglot_version() == "0.0-remembered"
    # ... while the stamp holds: another install (another stamp) asks afresh.
    memo.write_text("elsewhere|1|2|3\n0.0-remembered\n")
    assert catalog._sqlglot_version() == real


def test_light_modules_stay_light_and_lazy_names_resolve() -> None:
    """The modules every CLI call imports (postgres.dsn and announce, config) load neither the
    engine registry nor the PostgreSQL engine; the package names they used to import eagerly
    still resolve on first use."""
    import os
    import subprocess

    code = (
        "import sys\n"
        "import ducky.engines.postgres.dsn, ducky.engines.postgres.announce, ducky.config\n"
        "assert ducky.config.load_config() == {}\n"
        "heavy = ['ducky.engines.registry', 'ducky.engines.base', 'tomllib',\n"
        "         'ducky.engines.postgres.engine', 'importlib.metadata']\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "from ducky.datasets import DataDir, DatasetWriter, Manifest\n"
        "from ducky.engines import Engine, available_engines, engine_class, open_engine\n"
        "from ducky.engines.postgres import PostgresEngine\n"
        "assert engine_class('postgres') is PostgresEngine and issubclass(PostgresEngine, Engine)\n"
        "import ducky.datasets as d\n"
        "try:\n    d.Nothing\nexcept AttributeError:\n    print('ok')\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(canonical_sql.__file__).parents[2]),
        "DUCKY_CONFIG": "",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out == "[]\nok\n"


def test_engine_targets_are_remembered_while_their_stamp_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """engine_class() reads the registered targets from <cache>/ducky/engines.json while the
    sys.path folders and the contributing entry_points.txt files are unchanged; a new folder,
    an edited entry_points.txt or a removed folder is seen at once."""
    import importlib
    import json

    from ducky.engines import registry
    from ducky.engines.duckdb import DuckDBEngine
    from ducky.errors import UserError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    memo = tmp_path / "cache" / "ducky" / "engines.json"
    assert registry.engine_class("duckdb") is DuckDBEngine
    assert json.loads(memo.read_text())["targets"]["duckdb"] == "ducky.engines.duckdb:DuckDBEngine"
    # What a later call reads, without scanning the distributions:
    scans: list[int] = []
    real_scan = registry._entry_points
    monkeypatch.setattr(registry, "_entry_points", lambda: scans.append(1) or real_scan())
    assert registry.engine_class("duckdb") is DuckDBEngine and scans == []

    # A dist-info planted on a new sys.path folder: another stamp, scanned, found.
    site = tmp_path / "site"
    dist = site / "mine-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mine\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[ducky.engines]\nmine = ducky.engines.duckdb.engine:Rows\n"
    )
    monkeypatch.syspath_prepend(str(site))
    assert registry.engine_class("mine").__name__ == "Rows" and scans == [1]
    assert registry.engine_class("mine").__name__ == "Rows" and scans == [1]  # remembered
    # The same file rewritten in place (size and mtime change): scanned again, new target.
    (dist / "entry_points.txt").write_text(
        "[ducky.engines]\nmine = ducky.engines.duckdb.engine:DuckDBEngine\n"
    )
    importlib.invalidate_caches()
    assert registry.engine_class("mine") is DuckDBEngine and scans == [1, 1]
    # The folder gone from sys.path: so is the engine.
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(UserError, match="unknown engine 'mine'"):
        registry.engine_class("mine")
