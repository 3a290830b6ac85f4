"""The canonical SQL for any sqlglot dialect (`ducky sql show QUERY --dialect D`).

ducky cannot reach BigQuery, Snowflake or ClickHouse from here, so this is for reading and
copying: the canonical query (DuckDB dialect) transpiled by sqlglot, plus the fix-ups where a
plain transpile would change the metric's meaning or not parse on the target:

- BigQuery `TIMESTAMP_TRUNC(ts, WEEK)` starts weeks on **Sunday**; the canonical week is ISO
  (Monday): rendered `WEEK(MONDAY)`.
- BigQuery has no `date + integer`: rendered `DATE_ADD(date, INTERVAL n DAY)`.
- BigQuery's TRUNC functions are typed: the canonical `timestamp` (no time zone) is a
  DATETIME there (`DATETIME_TRUNC`), `signup_date` a DATE (`DATE_TRUNC`).

Snapshot tests (tests/sql/test_sql_dialects.py) pin the rendered text per dialect.
"""

from __future__ import annotations

from typing import Any

from ducky.errors import UserError


def dialect_names() -> list[str]:
    from sqlglot.dialects.dialect import Dialects

    return sorted(d.value for d in Dialects if d.value)


def _column_types() -> dict[str, str]:
    from ducky.schema import TABLES

    return {c.name: c.type for t in TABLES.values() for c in t.columns}


def _fix_bigquery(tree: Any) -> Any:
    from sqlglot import exp

    types = _column_types()

    def trunc(node: exp.Expression) -> exp.Expression:
        # sqlglot writes TIMESTAMP_TRUNC whatever the argument; the canonical `timestamp` is a
        # DATETIME in BigQuery (no time zone) and signup_date a DATE, each with its own TRUNC.
        if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc, exp.DatetimeTrunc)):
            unit = node.args.get("unit")
            if unit is not None and unit.name.upper() == "WEEK":
                unit = exp.var("WEEK(MONDAY)")  # BigQuery's plain WEEK starts on Sunday
            arg = node.this
            kind = types.get(arg.name) if isinstance(arg, exp.Column) else None
            if kind == "date":
                return exp.DateTrunc(this=arg, unit=unit)
            if kind == "timestamp":
                return exp.DatetimeTrunc(this=arg, unit=unit)
            node.set("unit", unit)
        return node

    def date_add(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.Add, exp.Sub)):
            left, right = node.this, node.expression
            is_date = isinstance(left, exp.Cast) and left.to.is_type("date")
            if is_date and isinstance(right, exp.Literal) and right.is_int:
                cls = exp.DateAdd if isinstance(node, exp.Add) else exp.DateSub
                return cls(this=left, expression=right, unit=exp.var("DAY"))
        return node

    return tree.transform(trunc).transform(date_add)


FIXUPS = {"bigquery": _fix_bigquery}


def render_dialect(
    query: str,
    dialect: str,
    variant: str = "optimized",
    params: dict[str, Any] | None = None,
    pretty: bool = True,
) -> str:
    """The canonical `query` (`variant`) for `dialect`, parameters bound as literals."""
    import sqlglot
    from sqlglot import exp

    from ducky import sql as canonical

    if dialect not in dialect_names():
        raise UserError(
            f"unknown SQL dialect {dialect!r}: choose one of {', '.join(dialect_names())}"
        )
    values = dict(canonical.PARAMETERS.get(query, {}))
    values.update(params or {})
    text, written_in = canonical.source(query, variant, "duckdb")
    out = []
    for tree in sqlglot.parse(text, read=written_in):
        if tree is None:
            continue

        def bind(node: exp.Expression) -> Any:
            if isinstance(node, exp.Placeholder) and node.name:
                if node.name not in values:
                    raise UserError(f"SQL parameter :{node.name} has no value")
                return exp.convert(values[node.name])
            return node

        tree = tree.transform(bind)
        fix = FIXUPS.get(dialect)
        if fix is not None:
            tree = fix(tree)
        out.append(tree.sql(dialect=dialect, pretty=pretty))
    return ";\n".join(out)
