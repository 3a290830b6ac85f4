"""PostgreSQL's column types for ducky's logical types: a module of its own (no sqlglot, no
engine class) so the engine and its loader both take them without importing each other."""

from __future__ import annotations

from ducky.schema import PRICE_PRECISION, PRICE_SCALE

DDL_TYPES: dict[str, str] = {
    "int64": "BIGINT",
    "int32": "INTEGER",
    "string": "TEXT",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": f"NUMERIC({PRICE_PRECISION},{PRICE_SCALE})",
    "list<int64>": "BIGINT[]",
    "list<string>": "TEXT[]",
}

# Columns ducky's own load adds to a canonical table, computed by the server (stored generated
# columns: a COPY never sends them, every later INSERT computes them). Why: PostgreSQL only
# plans an index-only scan when every column a query reads is in the index; grouping by an
# expression of "timestamp" forced the WAU index to carry "timestamp" as a payload, which is
# unique per row, so B-tree deduplication never applied (388 MB at 10M events). With the week
# stored, the (ducky_week, user_id) index is the narrow key WAU groups by (94 MB, posting lists).
# Only in ducky's own schema: a user's table read in place (--data postgresql://) never gets
# them, and a query that reads one falls back to the baseline SQL there (source.py).
# IMMUTABLE, so allowed in a generated column, only because "timestamp" is TIMESTAMP without
# time zone (UTC by contract).
STORED_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "events": (("ducky_week", "DATE", "CAST(DATE_TRUNC('week', \"timestamp\") AS DATE)"),),
}


def stored_columns_sql(table: str, target: str) -> list[str]:
    """ALTER TABLE statements adding `table`'s stored columns to `target` (a quoted name)."""
    return [
        f'ALTER TABLE {target} ADD COLUMN "{name}" {typ} GENERATED ALWAYS AS ({expr}) STORED'
        for name, typ, expr in STORED_COLUMNS.get(table, ())
    ]
