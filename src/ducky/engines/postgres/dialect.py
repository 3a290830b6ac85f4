"""ducky's PostgreSQL dialect: sqlglot's, plus the fix-ups where its transpile is valid but wrong.

One rule today: DuckDB's `UNNEST(GENERATE_SERIES(a, b))` (a list unnested into rows) comes out
verbatim, but PostgreSQL's generate_series already returns rows and `unnest(integer)` does not
exist. The fix is a syntax-tree rewrite to the set-returning call, which keeps every canonical
query (and every bench variant) in one DuckDB-dialect file instead of a copied override file.

The rewrite runs in the dialect's generator, so every path that writes SQL for PostgreSQL with
`PostgresEngine.sql_dialect()` (canonical queries, bench variants and --sql-dir files, setup
files, audiences, ingest summaries) gets it.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres


def _unnest_series(node: Any) -> Any:
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


class DuckyPostgres(Postgres):
    """PostgreSQL as ducky writes it: sqlglot's generator after the rewrites above."""

    class Generator(Postgres.Generator):  # type: ignore[misc,valid-type]
        def generate(self, expression: Any, copy: bool = True) -> str:
            tree = expression.copy() if copy else expression
            return super().generate(tree.transform(_unnest_series, copy=False), copy=False)


def fix_postgres(sql: str, pretty: bool = True) -> str:
    """Rewrite constructs PostgreSQL rejects in PostgreSQL text; unchanged when none occur."""
    if "UNNEST" not in sql.upper():
        return sql
    import sqlglot

    trees = [t for t in sqlglot.parse(sql, read="postgres") if t is not None]
    return ";\n".join(t.sql(DuckyPostgres, pretty=pretty) for t in trees)
