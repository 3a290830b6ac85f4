"""The paths the README and docs/*.md name are real: every `src/ducky/...`, `tests/...`,
`benchmarks/...`, `scripts/...` and `tools/...` path exists (from the repository root, or from
the document's own folder for a relative link), every `file.py::test_name` names a function of
that file, and every dotted `ducky.<module>` resolves. Pure file reads: no import of ducky.

docs/CLI.md is generated (tests/cli/test_cli_docs.py) and docs/BENCHMARKS.md records past
runs with their commands as they were, so both are left out."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"BENCHMARKS.md", "CLI.md"}
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in SKIP)]

# `src/ducky/pg/...`, `tests/engines/postgres/test_pg_source.py::test_x`, `benchmarks/*.md`
PATH = re.compile(
    r"(?<![\w./-])((?:src/ducky|tests|benchmarks|scripts|tools)/[\w./*-]*[\w*])"
    r"((?:::\w+)*)"
)
# `test_pg_source.py::test_x, ::test_y`: a bare test file name and the functions after it
BARE_TEST = re.compile(r"(?<![\w/])(test_\w+\.py)((?:::\w+)+)|(?<![\w.])::(test_\w+)")
# `ducky.engines.postgres.loader.load_datadir`
DOTTED = re.compile(r"(?<![\w/.-])(ducky(?:\.[A-Za-z_]\w*)+)")
# Dotted names that are not modules: file names and SQL objects the docs show.
NOT_MODULES = {
    "ducky.toml": "the project file",
    "ducky.conf": "the local PostgreSQL server's included settings file",
    "ducky.sql": "a mapping file name in examples",
    "ducky.events": "a table in ducky's PostgreSQL schema (SQL, not Python)",
}


def _lines(doc: Path) -> list[tuple[int, str]]:
    return list(enumerate(doc.read_text().splitlines(), 1))


@cache
def _defs(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text())
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return frozenset(n.name for n in ast.walk(tree) if isinstance(n, kinds))


@cache
def _tests_named(name: str) -> tuple[Path, ...]:
    return tuple(sorted((ROOT / "tests").rglob(name)))


def _where(doc: Path, path: str) -> Path | None:
    for base in (ROOT, doc.parent):
        if any(c in path for c in "*?"):
            if any(base.glob(path)):
                return base
        elif (base / path).exists():
            return base / path
    return None


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_paths_exist(doc: Path) -> None:
    bad = []
    for n, line in _lines(doc):
        for m in PATH.finditer(line):
            path, names = m.group(1), [t for t in m.group(2).split("::") if t]
            found = _where(doc, path)
            if found is None:
                bad.append(f"{doc.name}:{n}: {path} does not exist")
            elif names and found.is_file():
                bad += [
                    f"{doc.name}:{n}: {path} has no {t}" for t in names if t not in _defs(found)
                ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_tests_exist(doc: Path) -> None:
    bad = []
    for n, line in _lines(doc):
        last: tuple[Path, ...] = ()
        for m in BARE_TEST.finditer(line):
            if m.group(1):
                last = _tests_named(m.group(1))
                if not last:
                    bad.append(f"{doc.name}:{n}: no {m.group(1)} under tests/")
                names = [t for t in m.group(2).split("::") if t]
            else:
                names = [m.group(3)]  # `::test_y` after a file named earlier on the line
            for t in names:
                if last and not any(t in _defs(f) for f in last):
                    bad.append(f"{doc.name}:{n}: {last[0].relative_to(ROOT)} has no {t}")
    assert not bad, "\n".join(bad)


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        base = ROOT / "src" / Path(*parts[:k])
        for f in (base / "__init__.py", base.with_suffix(".py")):
            if f.is_file():
                if not parts[k:]:
                    return True
                # an attribute (`loader.load_datadir`): its name appears in the module's text
                return re.search(rf"\b{re.escape(parts[k])}\b", f.read_text()) is not None
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_modules_exist(doc: Path) -> None:
    bad = [
        f"{doc.name}:{n}: {m.group(1)}"
        for n, line in _lines(doc)
        for m in DOTTED.finditer(line)
        if m.group(1) not in NOT_MODULES and not _resolves(m.group(1))
    ]
    assert not bad, "\n".join(bad)
