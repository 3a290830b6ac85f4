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
