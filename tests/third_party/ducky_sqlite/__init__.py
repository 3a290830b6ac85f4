"""A third-party ducky engine on SQLite (Python's stdlib sqlite3): the shape a new engine takes.

One class, registered in the `ducky.engines` entry-point group (the test plants a dist-info
whose entry_points.txt says `sqlite = ducky_sqlite:SqliteEngine`), and one SQL folder with its
own override files (`sql/<query>/optimized.sqlite.sql`), because sqlglot's DuckDB -> SQLite
transpile of the canonical SQL does not run on SQLite (DATE_TRUNC, BIT_COUNT, GENERATE_SERIES).
It is not a DuckDB subclass and writes a non-DuckDB dialect ("sqlite").

SQLite has no DATE, TIMESTAMP, DECIMAL or BOOLEAN: dates and timestamps are stored as ISO text
(which orders as the instants do), prices as integer cents (sums stay exact). A result column
says what it holds with a suffix in its name, `"week_start [date]"`, the convention of
sqlite3's PARSE_COLNAMES; `run` strips it and converts the values, so rows compare equal to
DuckDB's.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from ducky.engines.base import Engine
from ducky.errors import EngineError

SQL_ROOT = Path(__file__).parent / "sql"
TABLES = ("users", "products", "events")
_HINT = re.compile(r"^(.*) \[(\w+)\]$")


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bool":
        return bool(value)
    if kind == "cents":
        return decimal.Decimal(int(value)).scaleb(-2)
    raise EngineError(f"sqlite: unknown column type hint [{kind}]")


def _stored(value: Any, scale: int | None) -> Any:
    """A Parquet value as SQLite stores it (see the module docstring)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value.scaleb(scale or 0))
    return value


class SqliteEngine(Engine):
    """SQLite in memory, loaded from the data directory's Parquet files."""

    name: ClassVar[str] = "sqlite"
    dialect: ClassVar[str] = "sqlite"
    description: ClassVar[str] = "SQLite (stdlib sqlite3), a third-party engine in ducky's tests"
    sql_roots: ClassVar[tuple[str | Path, ...]] = (SQL_ROOT,)

    def __init__(self, datadir: Any, **options: Any) -> None:
        super().__init__(datadir, **options)
        self._con: sqlite3.Connection | None = None

    def connect(self) -> None:
        if self._con is None:
            self._con = sqlite3.connect(":memory:")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> sqlite3.Connection:
        self.connect()
        assert self._con is not None
        return self._con

    def load(self, force: bool = False) -> None:
        for table in TABLES:
            if not self.datadir.has_table(table):
                continue
            data = pq.read_table(self.datadir.table_files(table))
            if "month" in data.column_names:  # the hive partition column is no table column
                data = data.drop_columns(["month"])
            scales = {
                f.name: f.type.scale if pa.types.is_decimal(f.type) else None for f in data.schema
            }
            # Every canonical column, an optional one the files lack (order_id, amount, ...) as
            # NULL, so the SQL can name it whatever the data holds.
            from ducky.schema import TABLES as CANONICAL

            cols = [c.name for c in CANONICAL[table].columns]
            absent = [c for c in cols if c not in data.column_names]
            for c in absent:
                data = data.append_column(c, pa.nulls(data.num_rows))
                scales[c] = None
            self.con.execute(f'DROP TABLE IF EXISTS "{table}"')
            self.con.execute(f'CREATE TABLE "{table}" (' + ", ".join(f'"{c}"' for c in cols) + ")")
            rows = (tuple(_stored(r[c], scales[c]) for c in cols) for r in data.to_pylist())
            marks = ", ".join("?" for _ in cols)
            self.con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
        self.con.commit()

    def run(self, sql: str) -> pa.Table:
        try:
            cur = self.con.execute(sql)
        except sqlite3.Error as e:
            raise EngineError(f"sqlite: {e}") from e
        if cur.description is None:
            return pa.table({})
        rows = cur.fetchall()
        columns: dict[str, list[Any]] = {}
        for i, d in enumerate(cur.description):
            m = _HINT.match(d[0])
            name, kind = (m.group(1), m.group(2)) if m else (d[0], None)
            values = [r[i] for r in rows]
            columns[name] = [_convert(kind, v) for v in values] if kind else values
        return pa.table(columns)

    def explain(self, sql: str, analyze: bool = True) -> str:
        rows = self.con.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        return "\n".join(str(r[-1]) for r in rows)
