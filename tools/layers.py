"""List the imports in src/ducky/ that run from a lower layer up to a higher one.

    python tools/layers.py          # one line per import that runs up; exit 0
    python tools/layers.py --strict # exit 1 when any runs up that KNOWN does not list

The layers, from the ground up (a module may import its own layer and those below it):
  0 ground     shared helpers that know no feature: errors, schema, atomic writes, JSON/rows,
               screen tables, secrets redaction, the version, date ranges, local-service probes
  1 contract   the data directory (datasets/), the query catalog and its SQL (sql/, metrics,
               rollup declarations), the audience spec and its SQL compiler (audience/)
  2 engines    engines/: one package per engine behind engines/base.py
  3 features   what runs queries on engines: queries, config, ingest/, cohort/, bench/,
               report/, plugins/, the Python API (shop, testing)
  4 faces      cli/, api/, the package's own face (ducky/__init__.py, __main__.py)
Imports under `if TYPE_CHECKING:` are listed too, marked "types only": they cost nothing at
run time but still say that a lower layer knows a higher one.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LAYERS: dict[str, int] = {
    **dict.fromkeys(
        ["errors", "schema", "atomic", "tabular", "tables", "redact", "version", "dateranges"], 0
    ),
    "local_service": 0,
    **dict.fromkeys(["datasets", "sql", "metrics", "rollups", "audience"], 1),
    "engines": 2,
    **dict.fromkeys(
        ["queries", "config", "ingest", "cohort", "bench", "report", "plugins", "shop", "testing"],
        3,
    ),
    **dict.fromkeys(["cli", "api", "__init__", "__main__"], 4),
}
NAMES = ["ground", "contract", "engines", "features", "faces"]
# Imports that run up today, each with its reason (README.md, "Layers"): (file, imported module).
KNOWN: dict[tuple[str, str], str] = {
    ("ducky/audience/service.py", "ducky.engines.base"): "types only: runs on an engine",
    ("ducky/audience/spec.py", "ducky.ingest.vocab"): "event-name synonyms live in ingest/",
    ("ducky/engines/postgres/source.py", "ducky.ingest.mapping"): "a database read in place",
    ("ducky/plugins/segment/cli.py", "ducky.cli.context"): "a plugin's commands join the CLI",
}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "ducky":
        return None
    return LAYERS.get(parts[1] if len(parts) > 1 else "__init__")


def imported(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        # `from ducky import sql` names the module ducky.sql; `from ducky import __version__`
        # names the package's face
        subs = [f"{module}.{a.name}" for a in node.names]
        return [s if layer_of(s) is not None and module == "ducky" else module for s in subs]
    return []


def type_only_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def main(argv: list[str]) -> int:
    src = Path(__file__).resolve().parents[1] / "src"
    unknown = 0
    for f in sorted((src / "ducky").rglob("*.py")):
        rel = f.relative_to(src)
        module = ".".join(rel.with_suffix("").parts)
        package = module.removesuffix(".__init__") if f.name == "__init__.py" else module
        package = package if f.name == "__init__.py" else package.rsplit(".", 1)[0]
        here = layer_of(module.removesuffix(".__init__"))
        if here is None:
            continue
        tree = ast.parse(f.read_text())
        types = type_only_lines(tree)
        seen: set[str] = set()
        for node in ast.walk(tree):
            for target in imported(node, package):
                there = layer_of(target)
                if there is None or there <= here or target in seen:
                    continue
                seen.add(target)
                key = (rel.as_posix(), target)
                known = KNOWN.get(key)
                unknown += known is None
                mark = " (types only)" if node.lineno in types else ""
                why = f"  # {known}" if known else "  # NEW"
                print(f"{rel}:{node.lineno} {NAMES[here]} -> {NAMES[there]}: {target}{mark}{why}")
    return 1 if unknown and "--strict" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
