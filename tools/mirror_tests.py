"""Move the test files into folders that mirror src/ducky/ (issue 14), in one go, with `git mv`.

    python tools/mirror_tests.py            # do it (run from anywhere inside the checkout)
    python tools/mirror_tests.py --dry-run  # print what it would do, change nothing

What it does, in order:
1. `git mv` every file of MAPPING (old -> new) whose old path exists and new path does not, and
   the folder tests/segment/ to tests/plugins/segment/ (file by file, so a half-done earlier run
   is finished rather than nested). A path already at its new place is passed over: running it
   twice changes nothing the second time. Both paths present is an error (exit 1, nothing moved).
2. An `__init__.py` in every new folder: the tests import each other as `tests.x.y`, and pytest
   needs the packages to give two files of one base name distinct module names.
3. Rewrites, in tests/, docs/, src/, README.md and the few other text files that name tests,
   every reference to a moved file: paths (`tests/test_cli.py`, globs such as
   `tests/test_reliability_*.py`) and module names (`tests.test_cross_engine`,
   `tests.segment.synth`, as in `python -m tests.test_cli_docs`).
4. In each moved file, `Path(__file__).parent...` / `.parents[N]` are deepened by the number of
   folders the file went down, so tests/data/, tests/snapshots/ and the repository root are
   still found.
Support modules (conftest.py, handmade*.py, reference.py, cli_support.py, fixtures/, data/,
snapshots/, third_party/) stay where they are; tests of src/ducky's top-level modules and of the
repository itself stay in tests/. A test file at the top of tests/ that MAPPING does not know
(added after this script was written) goes where RULES sends it by its name, or, matching no
rule, is left in place; either way the run names it.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

# old path -> new path, relative to the repository root. Grouped by the src/ducky/ part tested.
MAPPING: dict[str, str] = {
    # api/
    "tests/test_api.py": "tests/api/test_api.py",
    "tests/test_api_fuzz.py": "tests/api/test_api_fuzz.py",
    "tests/test_reliability_contract.py": "tests/api/test_reliability_contract.py",
    # audience/
    "tests/test_audience_postgres.py": "tests/audience/test_audience_postgres.py",
    "tests/test_audience_reference.py": "tests/audience/test_audience_reference.py",
    "tests/test_audience_spec.py": "tests/audience/test_audience_spec.py",
    "tests/test_reliability_budget.py": "tests/audience/test_reliability_budget.py",
    # bench/
    "tests/test_bench.py": "tests/bench/test_bench.py",
    # cli/ (commands through the real entry point, and docs/CLI.md against the code)
    "tests/test_audience_cli.py": "tests/cli/test_audience_cli.py",
    "tests/test_cli.py": "tests/cli/test_cli.py",
    "tests/test_cli_docs.py": "tests/cli/test_cli_docs.py",
    "tests/test_cli_overhead.py": "tests/cli/test_cli_overhead.py",
    "tests/test_cli_quiet_jvm.py": "tests/cli/test_cli_quiet_jvm.py",
    "tests/test_cli_ranges.py": "tests/cli/test_cli_ranges.py",
    "tests/test_cli_result_files.py": "tests/cli/test_cli_result_files.py",
    "tests/test_cli_vocabulary.py": "tests/cli/test_cli_vocabulary.py",
    "tests/test_cohort_cli.py": "tests/cli/test_cohort_cli.py",
    "tests/test_demo.py": "tests/cli/test_demo.py",
    "tests/test_generator_cli.py": "tests/cli/test_generator_cli.py",
    "tests/test_ingest_cli.py": "tests/cli/test_ingest_cli.py",
    "tests/test_table_width.py": "tests/cli/test_table_width.py",
    # cohort/
    "tests/test_cohort.py": "tests/cohort/test_cohort.py",
    "tests/test_cohort_plots.py": "tests/cohort/test_cohort_plots.py",
    # datasets/ (the data-directory contract and the generator)
    "tests/test_datadir.py": "tests/datasets/test_datadir.py",
    "tests/test_generator.py": "tests/datasets/test_generator.py",
    "tests/test_generator_memory.py": "tests/datasets/test_generator_memory.py",
    # engines/ (the shared suites), then one folder per engine package
    "tests/test_cross_engine.py": "tests/engines/test_cross_engine.py",
    "tests/test_engine_dialects.py": "tests/engines/test_engine_dialects.py",
    "tests/test_engine_third_party.py": "tests/engines/test_engine_third_party.py",
    "tests/test_reliability_limits.py": "tests/engines/test_reliability_limits.py",
    "tests/test_engine_chdb.py": "tests/engines/chdb/test_engine_chdb.py",
    "tests/test_fast_paths.py": "tests/engines/duckdb/test_fast_paths.py",
    "tests/test_metrics_duckdb.py": "tests/engines/duckdb/test_metrics_duckdb.py",
    "tests/test_rollup_duckdb.py": "tests/engines/duckdb/test_rollup_duckdb.py",
    "tests/test_engine_postgres.py": "tests/engines/postgres/test_engine_postgres.py",
    "tests/test_load_postgres.py": "tests/engines/postgres/test_load_postgres.py",
    "tests/test_pg_safety.py": "tests/engines/postgres/test_pg_safety.py",
    "tests/test_pg_server.py": "tests/engines/postgres/test_pg_server.py",
    "tests/test_pg_source.py": "tests/engines/postgres/test_pg_source.py",
    "tests/test_pg_source_audience.py": "tests/engines/postgres/test_pg_source_audience.py",
    "tests/test_pg_source_report.py": "tests/engines/postgres/test_pg_source_report.py",
    "tests/test_reliability_pg_lock.py": "tests/engines/postgres/test_reliability_pg_lock.py",
    "tests/test_rollup_postgres.py": "tests/engines/postgres/test_rollup_postgres.py",
    "tests/test_engine_spark.py": "tests/engines/spark/test_engine_spark.py",
    "tests/test_spark_connect.py": "tests/engines/spark/test_spark_connect.py",
    "tests/test_spark_pruning.py": "tests/engines/spark/test_spark_pruning.py",
    # ingest/
    "tests/test_ingest_coerce.py": "tests/ingest/test_ingest_coerce.py",
    "tests/test_ingest_defects.py": "tests/ingest/test_ingest_defects.py",
    "tests/test_ingest_http.py": "tests/ingest/test_ingest_http.py",
    "tests/test_ingest_merge.py": "tests/ingest/test_ingest_merge.py",
    "tests/test_real_shapes.py": "tests/ingest/test_real_shapes.py",
    # plugins/ (discovery); plugins/segment/ is the whole of tests/segment/, see FOLDERS
    "tests/test_plugins_and_imports.py": "tests/plugins/test_plugins_and_imports.py",
    # report/
    "tests/test_report.py": "tests/report/test_report.py",
    "tests/test_report_brief.py": "tests/report/test_report_brief.py",
    "tests/test_report_business.py": "tests/report/test_report_business.py",
    "tests/test_report_charts.py": "tests/report/test_report_charts.py",
    "tests/test_report_narrate.py": "tests/report/test_report_narrate.py",
    # sql/ (the query catalog: rendered SQL, dialects, the revenue definition)
    "tests/test_revenue_orders.py": "tests/sql/test_revenue_orders.py",
    "tests/test_sql_dialects.py": "tests/sql/test_sql_dialects.py",
    "tests/test_sql_snapshots.py": "tests/sql/test_sql_snapshots.py",
    # added after the first list: placed by what they test
    "tests/test_load_postgres_string_ids.py": (
        "tests/engines/postgres/test_load_postgres_string_ids.py"
    ),
    "tests/test_reliability_kill_load.py": "tests/engines/postgres/test_reliability_kill_load.py",
    "tests/test_reliability_kill_push.py": "tests/plugins/segment/test_reliability_kill_push.py",
    "tests/test_search_server_announce.py": "tests/cli/test_search_server_announce.py",
    "tests/test_string_ids_paging.py": "tests/audience/test_string_ids_paging.py",
}
# Whole folders: every file under old goes to the same relative place under new.
FOLDERS: dict[str, str] = {"tests/segment": "tests/plugins/segment"}
# Tests that stay at the top of tests/: src/ducky's top-level modules (atomic, tabular, redact,
# tables, shop) and the repository itself (README, Dockerfile).
STAY = {
    "tests/test_ground_floor.py",
    "tests/test_python_api.py",
    "tests/test_readme.py",
    "tests/test_docker.py",
    "tests/test_reliability_crash.py",
    "tests/test_reliability_secrets.py",
    "tests/test_tables.py",
    "tests/test_structure.py",
    "tests/test_reliability_ports.py",
    "tests/test_docs_paths.py",
}
# A test file at the top of tests/ that neither MAPPING nor STAY names (added by a branch merged
# after this list was written) goes by the first rule its name matches; the run says so.
RULES: list[tuple[str, str]] = [
    ("test_pg_*.py", "tests/engines/postgres"),
    ("test_*_postgres.py", "tests/engines/postgres"),
    ("test_spark_*.py", "tests/engines/spark"),
    ("test_*_duckdb.py", "tests/engines/duckdb"),
    ("test_engine_*.py", "tests/engines"),
    ("test_ingest_*.py", "tests/ingest"),
    ("test_report_*.py", "tests/report"),
    ("test_audience_*.py", "tests/audience"),
    ("test_cohort_*.py", "tests/cohort"),
    ("test_sql_*.py", "tests/sql"),
    ("test_api_*.py", "tests/api"),
    ("test_bench_*.py", "tests/bench"),
    ("test_generator_*.py", "tests/datasets"),
    ("test_cli_*.py", "tests/cli"),
]
# Where references to tests are rewritten (text files only; others are skipped).
REWRITE_ROOTS = ["tests", "docs", "src", "benchmarks", "scripts", "examples", ".ci"]
REWRITE_FILES = ["README.md", "Makefile", "pyproject.toml", "CONTRIBUTING.md", "compose.yaml"]
TEXT_SUFFIXES = {".py", ".md", ".sql", ".toml", ".txt", ".yaml", ".yml", ".cfg", ".ini", ".sh", ""}

FILE_REF = re.compile(r"(?<![\w/.-])tests/segment(?![\w-])")
PATH_REF = re.compile(r"(?<![\w/.-])tests/(test_[\w*?\[\]]*\.py)")
MODULE_REF = re.compile(r"(?<![\w/.])tests\.(test_\w+|segment\b)")
# Path(__file__)[.resolve()] then .parent[.parent...] or .parents[N]
DUNDER_FILE = re.compile(
    r"Path\(__file__\)(\.resolve\(\))?((?:\.parent)+(?![\w\[])|\.parents\[(\d+)\])"
)
LINE_LIMIT = 100  # pyproject.toml's [tool.ruff] line-length


def git(*args: str, root: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def plan_moves(root: Path) -> list[tuple[str, str]]:
    """(old, new) pairs still to do; raises SystemExit when both ends exist."""
    pairs = list(MAPPING.items())
    for old_dir, new_dir in FOLDERS.items():
        src = root / old_dir
        if src.is_dir():
            for f in sorted(src.rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts:
                    rel = f.relative_to(src).as_posix()
                    pairs.append((f"{old_dir}/{rel}", f"{new_dir}/{rel}"))
    todo, clash = [], []
    for old, new in pairs:
        o, n = root / old, root / new
        if o.exists() and n.exists():
            clash.append(f"{old} and {new} both exist")
        elif o.exists():
            todo.append((old, new))
    if clash:
        sys.exit("error: " + "; ".join(clash) + " (merge them by hand, then run again)")
    return todo


def new_module(old_module: str) -> str:
    """tests.test_x -> tests.cli.test_x; tests.segment -> tests.plugins.segment."""
    for old_dir, new_dir in FOLDERS.items():
        o, n = old_dir.replace("/", "."), new_dir.replace("/", ".")
        if old_module == o or old_module.startswith(o + "."):
            return n + old_module[len(o) :]
    path = old_module.replace(".", "/") + ".py"
    if path in MAPPING:
        return MAPPING[path][: -len(".py")].replace("/", ".")
    return old_module


def rewrite_text(text: str) -> str:
    def path_sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if any(c in name for c in "*?["):  # a glob: the files it meant, at their new places
            hits = sorted(o for o in [*MAPPING, *STAY] if fnmatch.fnmatch(o, f"tests/{name}"))
            if not hits:
                return m.group(0)
            return " ".join(MAPPING.get(h, h) for h in hits)
        return MAPPING.get(f"tests/{name}", m.group(0))

    def module_sub(m: re.Match[str]) -> str:
        old = "tests." + m.group(1)
        return new_module(old) if m.group(1) != "segment" else "tests.plugins.segment"

    text = FILE_REF.sub("tests/plugins/segment", text)
    text = PATH_REF.sub(path_sub, text)
    return MODULE_REF.sub(module_sub, text)


def deepen(text: str, by: int) -> str:
    """Path(__file__).parent / .parents[N] of a file that went `by` folders down."""

    def sub(m: re.Match[str]) -> str:
        level = int(m.group(3)) if m.group(3) is not None else m.group(2).count(".parent") - 1
        level += by
        tail = ".parent" if level == 0 else f".parents[{level}]"
        return f"Path(__file__){m.group(1) or ''}{tail}"

    return DUNDER_FILE.sub(sub, text)


def text_files(root: Path) -> list[Path]:
    tracked = git("ls-files", "-z", *REWRITE_ROOTS, *REWRITE_FILES, root=root).split("\0")
    out = []
    for rel in tracked:
        p = root / rel
        if rel and p.is_file() and p.suffix in TEXT_SUFFIXES:
            out.append(p)
    return out


def tidy_imports(root: Path, files: list[str]) -> None:
    """Re-sort the import blocks whose module names changed (ruff's isort rule), when ruff is
    installed beside this Python (the project's venv) or on PATH."""
    ruff = Path(sys.executable).parent / "ruff"
    exe = str(ruff) if ruff.exists() else shutil.which("ruff")
    if not exe or not files:
        print("ruff not found: run `ruff check --fix src tests` for the import order")
        return
    subprocess.run([exe, "check", "-q", "--fix", "--select", "I", *files], cwd=root, check=False)
    subprocess.run([exe, "format", "-q", *files], cwd=root, check=False)
    for rel in files:
        p = root / rel
        text = p.read_text()
        if rewrap_docstrings(text) != text:
            p.write_text(rewrap_docstrings(text))
    git("add", "--", *files, root=root)


def rewrap_docstrings(text: str) -> str:
    """Lines of docstrings that a longer path pushed past LINE_LIMIT, split at a space (the
    overflow goes on a line of its own with the same indent: prose, so nothing else changes)."""
    import ast

    lines = text.split("\n")
    spans = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            c = body[0].value
            if isinstance(c, ast.Constant) and isinstance(c.value, str):
                spans.update(range(c.lineno, (c.end_lineno or c.lineno) + 1))
    out = []
    for n, line in enumerate(lines, 1):
        while n in spans and len(line) > LINE_LIMIT and " " in line.strip():
            cut = line.rfind(" ", 0, LINE_LIMIT + 1)
            indent = line[: len(line) - len(line.lstrip())]
            if cut <= len(indent):
                break
            out.append(line[:cut])
            line = indent + line[cut + 1 :]
        out.append(line)
    return "\n".join(out)


def main(argv: list[str]) -> int:
    dry = "--dry-run" in argv
    root = Path(git("rev-parse", "--show-toplevel", root=Path.cwd()).strip())
    for p in sorted((root / "tests").glob("test_*.py")):
        rel = p.relative_to(root).as_posix()
        if rel in MAPPING or rel in STAY:
            continue
        for pattern, folder in RULES:
            if fnmatch.fnmatch(p.name, pattern):
                MAPPING[rel] = f"{folder}/{p.name}"
                print(f"by the rule {pattern}: {rel} -> {MAPPING[rel]} (review)")
                break
    todo = plan_moves(root)
    for old, new in todo:
        print(f"git mv {old} {new}")
        if not dry:
            (root / new).parent.mkdir(parents=True, exist_ok=True)
            git("mv", old, new, root=root)
            depth = new.count("/") - old.count("/")
            if depth and new.endswith(".py"):
                p = root / new
                text = p.read_text()
                if deepen(text, depth) != text:
                    p.write_text(deepen(text, depth))
                    git("add", "--", new, root=root)
    # __init__.py in every folder between tests/ and a moved file
    folders = {Path(new).parent for new in [*MAPPING.values()]} | {
        Path(n) for n in FOLDERS.values()
    }
    for folder in sorted(folders):
        for part in [folder, *folder.parents]:
            if part == Path("tests") or Path("tests") not in [part, *part.parents]:
                break
            init = root / part / "__init__.py"
            if not init.exists():
                print(f"create {init.relative_to(root)}")
                if not dry:
                    init.parent.mkdir(parents=True, exist_ok=True)
                    init.write_text("")
                    git("add", str(init.relative_to(root)), root=root)
    changed = []
    for p in text_files(root):
        try:
            old = p.read_text()
        except UnicodeDecodeError:
            continue
        new = rewrite_text(old)
        if new != old:
            changed.append(p.relative_to(root).as_posix())
            if not dry:
                p.write_text(new)
    for rel in changed:
        print(f"rewrite references in {rel}")
    if changed and not dry:
        git("add", "--", *changed, root=root)
        tidy_imports(root, [c for c in changed if c.endswith(".py")])
        for rel in changed:
            for n, line in enumerate((root / rel).read_text().splitlines(), 1):
                if len(line) > LINE_LIMIT and rel.endswith(".py"):
                    print(f"now over {LINE_LIMIT} columns, rewrap by hand: {rel}:{n}")
    unknown = sorted(
        p.relative_to(root).as_posix()
        for p in (root / "tests").glob("test_*.py")
        if p.relative_to(root).as_posix() not in STAY
    )
    for rel in unknown:
        print(f"left in place (not in MAPPING): {rel}")
    if not todo and not changed:
        print("nothing to do: the tests already mirror src/ducky/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
