"""The house's shape, checked on the source (issue 14): engine knowledge stays in engines/, and
no import runs from a lower layer up unless tools/layers.py lists it with its reason."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "ducky"
TOOLS = Path(__file__).resolve().parents[1] / "tools"
# Names a test of "which engine is this?" would compare against: the built-in engines and the
# sqlglot dialects they write (plus spellings of them seen in the tree before the redesign).
ENGINE_WORDS = {"duckdb", "postgres", "postgresql", "spark", "chdb", "clickhouse", "sqlite"}


def _engine_tests(tree: ast.AST) -> list[tuple[int, str]]:
    """Comparisons (==, !=, in, not in) with an engine or dialect name as a string literal."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops):
            continue
        for side in [node.left, *node.comparators]:
            many = isinstance(side, ast.Tuple | ast.List | ast.Set)
            consts = [side, *(side.elts if many else [])]
            for c in consts:
                if isinstance(c, ast.Constant) and c.value in ENGINE_WORDS:
                    # `"postgres" in doc` looks a key up in a dict, it does not test an engine
                    is_key_lookup = (
                        c is node.left
                        and isinstance(node.ops[0], ast.In | ast.NotIn)
                        and not isinstance(node.comparators[0], ast.Tuple | ast.List | ast.Set)
                        and _names_engines(node.comparators[0]) is False
                    )
                    if not is_key_lookup:
                        found.append((node.lineno, ast.unparse(node)))
    return sorted(set(found))


def _names_engines(node: ast.expr) -> bool:
    """Whether a container on the right of `in` is a collection of engine names."""
    text = ast.unparse(node).lower()
    return any(w in text for w in ("engine", "usable", "dialect"))


def test_no_engine_name_or_dialect_test_outside_engines() -> None:
    offenders = []
    for f in sorted(SRC.rglob("*.py")):
        rel = f.relative_to(SRC).as_posix()
        if rel.startswith("engines/"):
            continue
        for line, text in _engine_tests(ast.parse(f.read_text())):
            offenders.append(f"{rel}:{line}: {text}")
    # The demo picks which engines to show: it asks whether PostgreSQL is usable here, which
    # is a question about the machine, not a branch on the engine a command runs on.
    allowed = {"cli/demo_cmd.py"}
    offenders = [o for o in offenders if o.split(":", 1)[0] not in allowed]
    assert offenders == []


def test_the_scan_finds_an_engine_test() -> None:
    """The scan above is not vacuous: it flags the shapes the redesign removed."""
    tree = ast.parse(
        "if engine == 'duckdb': pass\n"
        "if self.dialect != 'postgres': pass\n"
        "if name in ('spark', 'chdb'): pass\n"
        "if 'postgres' in doc: pass\n"
    )
    assert [line for line, _ in _engine_tests(tree)] == [1, 2, 3]


def test_no_import_runs_up_a_layer_unless_listed() -> None:
    spec = importlib.util.spec_from_file_location("ducky_layers", TOOLS / "layers.py")
    assert spec and spec.loader
    layers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layers)
    assert layers.main(["--strict"]) == 0
    # and the listed ones stay few: each is a debt with its reason
    assert len(layers.KNOWN) <= 4
