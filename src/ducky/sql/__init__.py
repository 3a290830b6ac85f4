"""Canonical SQL: `.sql` files in the DuckDB dialect, rendered per engine with sqlglot.

Which queries exist, their parameters and tables: `ducky.sql.catalog`. Layout:
`sql/<query>/<variant>.sql` is the canonical text (DuckDB dialect). A file
`sql/<query>/<variant>.<dialect>.sql` overrides it for one dialect, used only where transpiling
is not good enough. Parameters are named placeholders (`:name`); they are replaced by literals
built and quoted by sqlglot (never by string formatting).
"""

from __future__ import annotations

from typing import Any

from ducky.errors import UserError
from ducky.sql.catalog import (
    CATALOG,
    DEFAULT_VARIANT,
    QUERIES,
    lookup,
    source,
    variants,
)

# Every parameter a canonical query accepts, with its default (from the catalog).
PARAMETERS: dict[str, dict[str, Any]] = {n: dict(s.parameters) for n, s in CATALOG.items()}

__all__ = [
    "DEFAULT_VARIANT",
    "PARAMETERS",
    "QUERIES",
    "bind_parameters",
    "check_rollup_event",
    "render",
    "source",
    "transpile",
    "variants",
]


def bind_parameters(query: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """The query's parameter defaults updated with `params`; unknown names are a UserError."""
    values = dict(lookup(query).parameters)
    unknown = set(params or {}) - set(values)
    if unknown:
        raise UserError(f"query {query!r} takes no parameter(s) {', '.join(sorted(unknown))}")
    values.update(params or {})
    return values


def check_rollup_event(variant: str, event_type: Any) -> None:
    """The rollups keep one bit per canonical event type: a shop's own event name would find
    no bit and read as an empty answer. Refuse it here, where every engine's SQL is made."""
    from ducky.schema import EVENT_TYPES

    if variant == "rollup" and event_type is not None and event_type not in EVENT_TYPES:
        raise UserError(
            f"event type {event_type!r}: the rollups keep the four canonical event types only "
            f"({', '.join(EVENT_TYPES)}); use the optimized variant"
        )


def render(
    query: str,
    dialect: str = "duckdb",
    variant: str = DEFAULT_VARIANT,
    params: dict[str, Any] | None = None,
    pretty: bool = True,
    *,
    write: Any = None,
    roots: tuple[Any, ...] | list[Any] = (),
    write_factory: Any = None,
    writer_key: str | None = None,
) -> str:
    """The SQL text that runs on `dialect` for this query, variant and parameters.

    `dialect` is the family the override files are named for; `write` is the sqlglot dialect
    to emit (default: `dialect`; an engine passes its own, whose generator carries its fixes,
    see Engine.sql_dialect), or `write_factory` makes it only when the text is not cached;
    `roots` are SQL folders searched before ducky's own. The result is cached on disk (see
    catalog.render_cache_key) when the writer is a plain dialect name or `writer_key` names
    the engine's fix-ups.
    """
    from ducky.sql.catalog import render_cache_get, render_cache_key, render_cache_put

    values = bind_parameters(query, params)
    check_rollup_event(variant, values.get("event_type"))
    text, written_in = source(query, variant, dialect, roots)
    key = None
    if write is None and (write_factory is None or writer_key is not None):
        key = render_cache_key(
            query, variant, dialect, writer_key, text, written_in, values, pretty
        )
        hit = render_cache_get(key)
        if hit is not None:
            return hit
    writer = write or (write_factory() if write_factory is not None else dialect)
    out = transpile(text, read=written_in, write=writer, params=values, pretty=pretty)
    if key is not None:
        render_cache_put(key, out)
    return out


def transpile(
    text: str,
    read: str = "duckdb",
    write: Any = "duckdb",
    params: dict[str, Any] | None = None,
    pretty: bool = True,
) -> str:
    """Parse `text`, bind `:name` placeholders as literals, and emit it for `write` (a dialect
    name, or a sqlglot Dialect such as an engine's `sql_dialect()`)."""
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
