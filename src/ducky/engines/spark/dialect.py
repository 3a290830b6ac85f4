"""ducky's Spark dialect: sqlglot's, plus the fix-ups where its transpile is valid but wrong.

SEQUENCE bounds: sqlglot transpiles GENERATE_SERIES(0, :weeks) to SEQUENCE(0, 8), which Spark
types by its arguments (INT), so the cohort grid's `week` came back int32 where DuckDB returns
int64 and results differed across engines by type. The generator gives every SEQUENCE BIGINT
bounds, as DuckDB's GENERATE_SERIES always has, on every path that writes Spark SQL with
`SparkEngine.sql_dialect()` (canonical queries, bench variants and --sql-dir files, setups,
audiences, ingest summaries).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.dialects.spark import Spark


def _bigint_bounds(node: Any) -> Any:
    if isinstance(node, exp.GenerateSeries):
        for arg in ("start", "end"):
            value = node.args.get(arg)
            if value is not None and not (
                isinstance(value, exp.Cast) and value.to.is_type(exp.DataType.Type.BIGINT)
            ):
                node.set(arg, exp.cast(value, exp.DataType.Type.BIGINT))
    return node


class DuckySpark(Spark):
    """Spark SQL as ducky writes it: sqlglot's generator after the rewrites above."""

    class Generator(Spark.Generator):  # type: ignore[misc,valid-type]
        def generate(self, expression: Any, copy: bool = True) -> str:
            tree = expression.copy() if copy else expression
            return super().generate(tree.transform(_bigint_bounds, copy=False), copy=False)


def bigint_sequences(sql: str) -> str:
    """Spark text with BIGINT SEQUENCE bounds (the generator's rule, applied to text)."""
    if "SEQUENCE" not in sql.upper():
        return sql
    import sqlglot

    trees = [t for t in sqlglot.parse(sql, read="spark") if t is not None]
    return ";\n".join(t.sql(DuckySpark, pretty=True) for t in trees)
