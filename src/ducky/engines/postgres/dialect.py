"""Fix-ups applied to sqlglot's PostgreSQL output where the transpile is valid but wrong.

One rule today: DuckDB's `UNNEST(GENERATE_SERIES(a, b))` (a list unnested into rows) comes out
verbatim, but PostgreSQL's generate_series already returns rows and `unnest(integer)` does not
exist. The fix is a syntax-tree rewrite to the set-returning call, which keeps every canonical
query (and every bench variant) in one DuckDB-dialect file instead of a copied override file.
"""

from __future__ import annotations

from typing import Any


def _unnest_series(node: Any) -> Any:
    from sqlglot import exp

    if (
        isinstance(node, exp.Unnest)
        and len(node.expressions) == 1
        and isinstance(node.expressions[0], exp.GenerateSeries)
    ):
        gs = node.expressions[0]
        # DuckDB's generate_series yields BIGINT; PostgreSQL's follows its arguments' type.
        args = [exp.cast(gs.args["start"], "BIGINT"), exp.cast(gs.args["end"], "BIGINT")]
        if gs.args.get("step") is not None:
            args.append(exp.cast(gs.args["step"], "BIGINT"))
        call = exp.Anonymous(this="GENERATE_SERIES", expressions=args)
        return exp.Table(this=call, alias=node.args.get("alias"))
    return node


def fix_postgres(sql: str, pretty: bool = True) -> str:
    """Rewrite constructs PostgreSQL rejects; the text is returned unchanged when none occur."""
    if "UNNEST" not in sql.upper():
        return sql
    import sqlglot

    trees = [t for t in sqlglot.parse(sql, read="postgres") if t is not None]
    return ";\n".join(t.transform(_unnest_series).sql("postgres", pretty=pretty) for t in trees)
