"""Embedded ClickHouse (chDB) over the data directory's Parquet files.

`load` defines one view per table over ClickHouse's `file(glob, Parquet)` table function, with
the canonical column types spelled out (so a VARCHAR id or a missing statistic never changes a
type), and the queries are the canonical DuckDB-dialect SQL transpiled by sqlglot to the
`clickhouse` dialect, or this package's own `sql/<query>/<variant>.clickhouse.sql` where
transpiling is not right (found through `sql_roots`, the way a third-party engine ships its
overrides: ducky's packaged SQL holds no ClickHouse text).

ClickHouse semantics that differ from DuckDB, handled here once for every query:
- `join_use_nulls = 1`: a LEFT JOIN's missing side is NULL (ClickHouse's default fills the
  column type's default, 0 or '', which would turn "no retained users" into a real 0 row and
  hide NULLs from COALESCE).
- `session_timezone = 'UTC'`: DateTime64 arithmetic and toDate() in UTC, as METRICS.md says.
- Results come back as Arrow. ClickHouse comparisons and AND/OR return UInt8, not Bool, so a
  UInt8 result column is turned into Arrow bool: no canonical query returns an unsigned 8-bit
  number (counts are BIGINT, weeks INTEGER), so a UInt8 column is always a boolean there.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ducky.engines.base import Engine
from ducky.errors import EngineError
from ducky.schema import TABLES

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir

# Canonical logical type -> ClickHouse type of the view's column (schema.py's types).
_CH_TYPES: dict[str, str] = {
    "int64": "Int64",
    "int32": "Int32",
    "string": "String",
    "date": "Date32",
    "timestamp": "DateTime64(6, 'UTC')",
    "decimal": "Decimal(12, 2)",
    "list<int64>": "Array(Int64)",
    "list<string>": "Array(String)",
}

# Session settings every query runs with (see the module docstring for why).
SETTINGS: dict[str, str] = {
    "join_use_nulls": "1",
    "session_timezone": "'UTC'",
    # Parquet columns come back Nullable only where the file says so; the views cast anyway.
    "input_format_parquet_filter_push_down": "1",
}


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class ChdbEngine(Engine):
    """Embedded ClickHouse (chDB) over the Parquet data directory."""

    name: ClassVar[str] = "chdb"
    dialect: ClassVar[str] = "clickhouse"
    requires: ClassVar[tuple[str, ...]] = ("chdb",)
    extra: ClassVar[str | None] = "bench"
    description: ClassVar[str] = "embedded ClickHouse (chDB) over the Parquet files"
    # ClickHouse overrides live with the engine that runs them, searched before ducky's SQL.
    sql_roots: ClassVar[tuple[str | Path, ...]] = (Path(__file__).parent / "sql",)

    def __init__(self, datadir: DataDir, threads: int | None = None, **options: Any) -> None:
        super().__init__(datadir, **options)
        self.threads = threads
        self._con: Any = None
        self._database = f"ducky_{uuid.uuid4().hex[:12]}"

    # -- lifecycle ---------------------------------------------------------------------------
    def connect(self) -> None:
        if self._con is not None:
            return
        import chdb

        try:
            # ":memory:" keeps nothing on disk: the views are recreated by every load().
            con = chdb.connect(":memory:")
            # chDB runs one ClickHouse server per process and every connection sees its
            # databases: two engines over two data directories would replace each other's
            # `events` view. Each engine works in a database of its own (USE is per
            # connection), dropped again by close().
            con.query(f"CREATE DATABASE IF NOT EXISTS {self._database}")
            con.query(f"USE {self._database}")
            self._con = con
        except Exception as e:  # chdb raises plain RuntimeError/ChdbError
            raise EngineError(f"chdb: could not start: {_first_line(e)}") from e

    def close(self) -> None:
        if self._con is not None:
            try:
                self._con.query(f"DROP DATABASE IF EXISTS {self._database}")
                self._con.close()
            finally:
                self._con = None

    @property
    def con(self) -> Any:
        if self._con is None:
            self.connect()
        return self._con

    def _settings(self) -> str:
        pairs = dict(SETTINGS)
        if self.threads:
            pairs["max_threads"] = str(int(self.threads))
        return ", ".join(f"{k} = {v}" for k, v in pairs.items())

    def source(self, table: str) -> str:
        """The SELECT a table's view is: the Parquet files with the canonical column types."""
        from ducky.schema import with_id_types

        # Ids are typed as this directory stores them (integers, or a shop's string ids).
        t = with_id_types(table, self.datadir.id_types())
        glob = self.datadir.table_glob(table).replace("\\", "\\\\").replace("'", "\\'")
        present = set(self.datadir.present_columns(table))
        cols = ", ".join(
            f"CAST({f'`{c.name}`' if c.name in present else 'NULL'} "
            f"AS {self._type(c.type, c.nullable)}) AS `{c.name}`"
            for c in t.columns
        )
        # An optional column no file holds is NULL; one some files hold needs the union of
        # the files' schemas (months ingested before it existed lack it).
        some = any(c.optional and c.name in present for c in t.columns)
        union = " SETTINGS schema_inference_mode = 'union'" if some else ""
        return f"SELECT {cols} FROM file('{glob}', Parquet){union}"

    @staticmethod
    def _type(logical: str, nullable: bool) -> str:
        ch = _CH_TYPES[logical]
        return f"Nullable({ch})" if nullable and not ch.startswith("Array") else ch

    def load(self, force: bool = False) -> None:  # views: nothing to force
        for t in TABLES:
            if self.datadir.has_table(t):
                self.execute(f"CREATE OR REPLACE VIEW `{t}` AS {self.source(t)}")

    # -- queries -----------------------------------------------------------------------------
    def run(self, sql: str) -> pa.Table:
        import pyarrow as pa

        text = sql.strip().rstrip(";")
        try:
            out = self.con.query(f"{text}\nSETTINGS {self._settings()}", "ArrowTable")
        except Exception as e:
            raise EngineError(f"chdb: {_first_line(e)}") from e
        if not isinstance(out, pa.Table):  # DDL: chDB returns an empty result object
            return pa.table({})
        return _booleans(out)

    def execute(self, sql: str) -> None:
        text = sql.strip().rstrip(";")
        # A rollup's CREATE TABLE ... AS SELECT needs the query settings too: without
        # join_use_nulls its LEFT JOIN would store '' where the canonical SQL means NULL.
        if text.upper().startswith("CREATE") and "SELECT" in text.upper():
            text = f"{text}\nSETTINGS {self._settings()}"
        try:
            self.con.query(text)
        except Exception as e:
            raise EngineError(f"chdb: {_first_line(e)}") from e

    def explain(self, sql: str, analyze: bool = True) -> str:
        """ClickHouse has no EXPLAIN ANALYZE: `analyze` runs the pipeline explain with the
        processors' header, otherwise the logical plan with actions."""
        kind = "PIPELINE header = 1" if analyze else "PLAN actions = 1"
        text = sql.strip().rstrip(";")
        try:
            out = self.con.query(f"EXPLAIN {kind} {text}", "TabSeparatedRaw")
        except Exception as e:
            raise EngineError(f"chdb: {_first_line(e)}") from e
        return str(out).rstrip("\n")


def _booleans(table: pa.Table) -> pa.Table:
    """UInt8 columns (ClickHouse's comparison results) as Arrow booleans (see module doc)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, f in enumerate(table.schema):
        if pa.types.is_uint8(f.type):
            col = pc.not_equal(table.column(i), pa.scalar(0, pa.uint8()))
            table = table.set_column(i, pa.field(f.name, pa.bool_(), f.nullable), col)
    return table
