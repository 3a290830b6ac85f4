"""Canonical SQL: `.sql` files in the DuckDB dialect, rendered per engine with sqlglot.

Layout: `sql/<query>/<variant>.sql` is the canonical text (DuckDB dialect). A file
`sql/<query>/<variant>.<dialect>.sql` overrides it for one dialect, used only where transpiling
is not good enough. Parameters are named placeholders (`:name`); they are replaced by literals
built and quoted by sqlglot (never by string formatting).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from ducky.errors import UserError

QUERIES = ("wau", "revenue", "cohort")
DEFAULT_VARIANT = "optimized"

# Every parameter a canonical query accepts, with its default.
PARAMETERS: dict[str, dict[str, Any]] = {
    "wau": {"event_type": None},
    "revenue": {"date_from": None, "date_to": None},
    "cohort": {"weeks": 8, "event_type": None},
}


def _root() -> Any:
    return resources.files("ducky.sql")


def variants(query: str) -> list[str]:
    """Variants of `query` that have a canonical (DuckDB-dialect) file."""
    _check_query(query)
    names = []
    for f in _root().joinpath(query).iterdir():
        parts = f.name.split(".")
        if len(parts) == 2 and parts[1] == "sql":
            names.append(parts[0])
    return sorted(names)


def _check_query(query: str) -> None:
    if query not in QUERIES:
        raise UserError(f"unknown query {query!r}: choose one of {', '.join(QUERIES)}")


@lru_cache(maxsize=256)
def source(query: str, variant: str = DEFAULT_VARIANT, dialect: str = "duckdb") -> tuple[str, str]:
    """(text, dialect it is written in) for a query variant, preferring a dialect override."""
    _check_query(query)
    folder = _root().joinpath(query)
    override = folder.joinpath(f"{variant}.{dialect}.sql")
    if dialect != "duckdb" and override.is_file():
        return override.read_text(), dialect
    canonical = folder.joinpath(f"{variant}.sql")
    if not canonical.is_file():
        raise UserError(
            f"query {query!r} has no variant {variant!r}: choose one of "
            f"{', '.join(variants(query))}"
        )
    return canonical.read_text(), "duckdb"


def render(
    query: str,
    dialect: str = "duckdb",
    variant: str = DEFAULT_VARIANT,
    params: dict[str, Any] | None = None,
    pretty: bool = True,
) -> str:
    """The SQL text that runs on `dialect` for this query, variant and parameters."""
    values = dict(PARAMETERS.get(query, {}))
    unknown = set(params or {}) - set(values)
    if unknown:
        raise UserError(f"query {query!r} takes no parameter(s) {', '.join(sorted(unknown))}")
    values.update({k: v for k, v in (params or {}).items()})
    text, written_in = source(query, variant, dialect)
    return transpile(text, read=written_in, write=dialect, params=values, pretty=pretty)


def transpile(
    text: str,
    read: str = "duckdb",
    write: str = "duckdb",
    params: dict[str, Any] | None = None,
    pretty: bool = True,
) -> str:
    """Parse `text`, bind `:name` placeholders as literals, and emit it for `write`."""
    import sqlglot
    from sqlglot import exp

    values = params or {}
    statements = []
    for tree in sqlglot.parse(text, read=read):
        if tree is None:
            continue

        def bind(node: exp.Expression) -> Any:
            if isinstance(node, exp.Placeholder) and node.name:
                if node.name not in values:
                    raise UserError(f"SQL parameter :{node.name} has no value")
                return exp.convert(values[node.name])
            return node

        statements.append(tree.transform(bind).sql(dialect=write, pretty=pretty))
    return ";\n".join(statements)
