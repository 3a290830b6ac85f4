"""Canonical table schemas: the single source of truth for the generator, ingest, every engine's
DDL and the docs.

Types are declared as small logical names so this module imports nothing heavy; each consumer
maps them (Arrow, DuckDB, PostgreSQL, Spark). Timestamps are naive and mean UTC: storing them
without a zone keeps `date_trunc('week', ts)` independent of a session's TimeZone setting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pyarrow as pa

SCHEMA_VERSION = 1

# The currency of prices and of purchases that carry none (generated data, shops with one
# currency): revenue is always reported with its currency (METRICS.md).
DEFAULT_CURRENCY = "USD"

EVENT_TYPES: tuple[str, ...] = ("viewed", "add-to-cart", "purchased", "login")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of LOGICAL_TYPES
    nullable: bool = False
    description: str = ""
    # Optional columns may be absent from a data directory's Parquet files (data written
    # before they existed, or a shop that has no such data); engines read them as NULL.
    optional: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    partitioned: bool = False  # stored as a hive-partitioned directory (month=YYYY-MM)
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


LOGICAL_TYPES = (
    "int64",
    "int32",
    "string",
    "date",
    "timestamp",
    "decimal",
    "list<int64>",
    "list<string>",
)

# DECIMAL(12,2) holds prices up to 9,999,999,999.99 exactly; revenue sums are cast to (18,2).
PRICE_PRECISION, PRICE_SCALE = 12, 2

USERS = Table(
    "users",
    (
        Column("user_id", "int64", description="unique user id"),
        Column("signup_date", "date", description="UTC calendar date of signup"),
        Column("country", "string", True, "ISO 3166-1 alpha-2 country code"),
        Column("name", "string", True),
        Column("age", "int32", True),
        Column("gender", "string", True),
        Column("location", "string", True, "region or US state, e.g. California"),
        Column("plan", "string", True, "subscription plan: free, basic, premium"),
        Column("device", "string", True, "main device: mobile, desktop, tablet"),
    ),
    key=("user_id",),
    description="one row per registered user",
)

PRODUCTS = Table(
    "products",
    (
        Column("product_id", "int64"),
        Column("category", "string"),
        Column("price", "decimal", description="unit price, DECIMAL(12,2)"),
        Column("name", "string", True),
    ),
    key=("product_id",),
    description="the catalog",
)

EVENTS = Table(
    "events",
    (
        Column("user_id", "int64"),
        Column("event_type", "string", description="viewed | add-to-cart | purchased | login"),
        Column("product_id", "int64", True, "null for login"),
        Column("timestamp", "timestamp", description="UTC, microseconds"),
        # Orders (issue 15): meaningful on purchases; absent or NULL means "not known".
        Column("order_id", "string", True, "order a purchase belongs to", optional=True),
        Column("quantity", "int64", True, "units bought (NULL = 1)", optional=True),
        Column(
            "amount", "decimal", True, "price paid for the line, after discounts", optional=True
        ),
        Column("currency", "string", True, "ISO 4217 code of amount and price", optional=True),
    ),
    partitioned=True,
    description="behavioural events, hive-partitioned by month",
)

SEARCH_LOGS = Table(
    "search_logs",
    (
        Column("user_id", "int64"),
        Column("search_query", "string"),
        Column("clicked_product_ids", "list<int64>", True),
        Column("timestamp", "timestamp"),
    ),
    partitioned=True,
    description="search sessions, shaped like the Elasticsearch user_logs document",
)

TABLES: dict[str, Table] = {t.name: t for t in (USERS, PRODUCTS, EVENTS, SEARCH_LOGS)}
REQUIRED_TABLES = ("users", "products", "events")


def arrow_type(logical: str) -> pa.DataType:
    import pyarrow as pa

    mapping = {
        "int64": pa.int64(),
        "int32": pa.int32(),
        "string": pa.string(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "decimal": pa.decimal128(PRICE_PRECISION, PRICE_SCALE),
        "list<int64>": pa.list_(pa.int64()),
        "list<string>": pa.list_(pa.string()),
    }
    return mapping[logical]


# -- identifiers ------------------------------------------------------------------------------
# A shop's ids are integers ("user 42") or strings ("abc123", "p01", UUIDs); one data directory
# stores each id kind with one type in every table, decided from the source (DataDir.id_types).
# Integers stay BIGINT so the integer path of every query keeps its speed; string ids are stored
# as they came (VARCHAR), so every output carries the source's ids unchanged.
ID_KINDS = ("user_id", "product_id")
ID_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    # id kind -> (table, column) holding it; a list column holds a list of that id
    "user_id": (("users", "user_id"), ("events", "user_id"), ("search_logs", "user_id")),
    "product_id": (
        ("products", "product_id"),
        ("events", "product_id"),
        ("search_logs", "clicked_product_ids"),
    ),
}
IdTypes = dict[str, str]  # id kind -> "int64" | "string"
INT_IDS: IdTypes = {"user_id": "int64", "product_id": "int64"}


def with_id_types(table: str | Table, id_types: IdTypes | None = None) -> Table:
    """`table` with its id columns typed as `id_types` says (the canonical table when all int)."""
    t = TABLES[table] if isinstance(table, str) else table
    if not id_types or all(id_types.get(k, "int64") == "int64" for k in ID_KINDS):
        return t
    retype: dict[str, str] = {}
    for kind, where in ID_COLUMNS.items():
        if id_types.get(kind, "int64") == "string":
            for tbl, col in where:
                if tbl == t.name:
                    retype[col] = "list<string>" if col == "clicked_product_ids" else "string"
    cols = tuple(replace(c, type=retype[c.name]) if c.name in retype else c for c in t.columns)
    return Table(t.name, cols, t.key, t.partitioned, t.description)


def id_types_of(schema: pa.Schema, table: str) -> IdTypes:
    """The id types a Parquet schema of `table` shows (only the kinds it holds)."""
    import pyarrow as pa

    out: IdTypes = {}
    for kind, where in ID_COLUMNS.items():
        for tbl, col in where:
            if tbl == table and schema.get_field_index(col) >= 0:
                typ = schema.field(col).type
                if pa.types.is_list(typ) or pa.types.is_large_list(typ):
                    typ = typ.value_type
                text = pa.types.is_string(typ) or pa.types.is_large_string(typ)
                out[kind] = "string" if text else "int64"
    return out


def arrow_schema(
    table: str | Table, id_types: IdTypes | None = None, present: Iterable[str] | None = None
) -> pa.Schema:
    """The Arrow schema every Parquet file of `table` must have: ids typed per `id_types`; every
    column, or, given the names `present` in some data, the required columns plus the optional
    ones among `present`."""
    import pyarrow as pa

    t = with_id_types(table, id_types)
    keep = None if present is None else set(present)
    return pa.schema(
        [
            pa.field(c.name, arrow_type(c.type), nullable=c.nullable)
            for c in t.columns
            if keep is None or not c.optional or c.name in keep
        ]
    )


# The canonical SQL type of each logical type: DuckDB's, the dialect the canonical SQL is
# written in. Every other engine declares its own (`Engine.ddl_types`, in its package).
SQL_TYPES: dict[str, str] = {
    "int64": "BIGINT",
    "int32": "INTEGER",
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": f"DECIMAL({PRICE_PRECISION},{PRICE_SCALE})",
    "list<int64>": "BIGINT[]",
    "list<string>": "VARCHAR[]",
}


def sql_type(logical: str) -> str:
    """The canonical SQL type (DuckDB's, the dialect canonical SQL is written in) of a logical
    column type. Other dialects' DDL types are their engine's `ddl_types` (see
    `ducky.engines.registry.create_table_sql`): engines build on this module, not it on them."""
    return SQL_TYPES[logical]
