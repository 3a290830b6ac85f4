"""PostgreSQL engine: a real server, the user's (`dsn=` / DUCKY_PG_DSN) or ducky's own local one.

`load()` makes the canonical tables present and current: it compares the data directory's
fingerprint (manifest creation time, row counts, path) with the one stored in `ducky_meta` by
the last load and reloads only when they differ, so a second `ducky query --engine postgres`
costs a connection and the query.

Results come back as Arrow tables whose types match DuckDB's (BIGINT, INTEGER, DECIMAL(p,s),
DOUBLE, DATE, TIMESTAMP, BOOLEAN, VARCHAR) so cross-engine comparisons are exact.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from ducky.engines.base import Engine
from ducky.engines.postgres import dsn as dsnlib
from ducky.engines.postgres.types import DDL_TYPES
from ducky.errors import (
    ConnectionFailed,
    EngineError,
    QueryOutOfMemory,
    QueryTimeout,
    UserError,
)

if TYPE_CHECKING:
    import psycopg
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.engines.postgres.loader import LoadReport


# PostgreSQL type OIDs (pg_type.h) -> Arrow types; numeric uses the column's typmod.
_OID_INT2, _OID_INT4, _OID_INT8 = 21, 23, 20
_OID_FLOAT4, _OID_FLOAT8, _OID_NUMERIC = 700, 701, 1700
_OID_BOOL, _OID_DATE, _OID_TIMESTAMP, _OID_TIMESTAMPTZ = 16, 1082, 1114, 1184
_OID_TEXT, _OID_VARCHAR, _OID_BPCHAR, _OID_NAME = 25, 1043, 1042, 19
_OID_INT8_ARRAY, _OID_INT4_ARRAY = 1016, 1007


def _arrow_type(oid: int, precision: int | None, scale: int | None, values: list[Any]) -> Any:
    import decimal

    import pyarrow as pa

    simple = {
        _OID_INT2: pa.int16(),
        _OID_INT4: pa.int32(),
        _OID_INT8: pa.int64(),
        _OID_FLOAT4: pa.float32(),
        _OID_FLOAT8: pa.float64(),
        _OID_BOOL: pa.bool_(),
        _OID_DATE: pa.date32(),
        _OID_TIMESTAMP: pa.timestamp("us"),
        _OID_TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
        _OID_TEXT: pa.string(),
        _OID_VARCHAR: pa.string(),
        _OID_BPCHAR: pa.string(),
        _OID_NAME: pa.string(),
        _OID_INT8_ARRAY: pa.list_(pa.int64()),
        _OID_INT4_ARRAY: pa.list_(pa.int32()),
    }
    if oid in simple:
        return simple[oid]
    if oid == _OID_NUMERIC:
        if precision is not None and scale is not None:
            return pa.decimal128(precision, scale)
        # Unconstrained NUMERIC: DuckDB would say DECIMAL(38, s); take the widest scale seen.
        exps = [
            -int(v.as_tuple().exponent)
            for v in values
            if isinstance(v, decimal.Decimal) and v.is_finite()
        ]
        return pa.decimal128(38, max([0, *exps]))
    return None  # let Arrow infer (rare types, e.g. intervals or JSON)


class PostgresEngine(Engine):
    """PostgreSQL through psycopg 3; loads with binary COPY FREEZE (loader.py)."""

    name: ClassVar[str] = "postgres"
    dialect: ClassVar[str] = "postgres"
    requires: ClassVar[tuple[str, ...]] = ("psycopg",)
    extra: ClassVar[str | None] = "postgres"
    description: ClassVar[str] = (
        "PostgreSQL server: --dsn / DUCKY_PG_DSN, else a local server under <data>/.ducky/pg"
    )
    supports_rollups: ClassVar[bool] = True
    maintains_rollups: ClassVar[bool] = True
    supports_native_load: ClassVar[bool] = True
    supports_plans: ClassVar[bool] = True
    supports_indexes: ClassVar[bool] = True
    ddl_types: ClassVar[dict[str, str]] = DDL_TYPES

    def __init__(
        self,
        datadir: DataDir,
        dsn: str | None = None,
        method: str = "binary",
        statement_timeout: str | int | None = None,
        schema: str | None = None,
        timeout: str | float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(datadir, **options)
        from ducky.engines.duckdb.engine import query_timeout

        # statement_timeout in ms (PostgreSQL's unit), or the engine-neutral timeout in seconds
        # (-o timeout= / DUCKY_QUERY_TIMEOUT): validated here so a bad value is one line
        if statement_timeout is not None:
            raw = str(statement_timeout).strip()
            if not raw.isdigit():
                raise UserError(
                    "postgres option statement_timeout must be whole milliseconds, "
                    f"not {statement_timeout!r}"
                )
            statement_timeout = int(raw)
        else:
            secs = query_timeout("postgres", timeout)
            statement_timeout = None if secs is None else max(1, round(secs * 1000))
        from ducky.engines.postgres.ownership import schema_name

        # ducky's own schema (engines/postgres/ownership.py): every connection works inside it.
        self.schema = schema_name(schema)
        self._dsn = dsn or None
        self.method = method
        self.statement_timeout = statement_timeout
        self._con: psycopg.Connection[Any] | None = None
        self.last_load: LoadReport | None = None

    # -- connection ----------------------------------------------------------------------------
    @property
    def dsn(self) -> str:
        """The DSN in use: explicit, else DUCKY_PG_DSN, else the local server (started)."""
        if self._dsn is None:
            from ducky.engines.postgres.loader import resolve_dsn

            self._dsn = resolve_dsn(self.datadir, None)
        return self._dsn

    @property
    def target(self) -> str:
        """Password-free `user@host:port/db` of the server."""
        return dsnlib.describe(self.dsn)

    @property
    def con(self) -> psycopg.Connection[Any]:
        if self._con is None:
            self.connect()
        assert self._con is not None
        return self._con

    def connect(self) -> None:
        if self._con is not None:
            return
        dsn = self.dsn
        self._con = dsnlib.connect(dsn, self.target, autocommit=True)
        from ducky.engines.postgres.ownership import ensure_schema_psycopg

        try:
            # Refuses a same-named schema that is not ducky's; never creates it here (the
            # loader does, in its transaction).
            ensure_schema_psycopg(self._con, self.schema, create=False)
        except BaseException:
            self._con.close()
            self._con = None
            raise
        if self.statement_timeout is not None:
            self.execute(f"SET statement_timeout = '{int(self.statement_timeout)}'")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    # -- data ------------------------------------------------------------------------------------
    def is_current(self) -> bool:
        """The server holds this data directory's tables as they are now."""
        import json

        from ducky.engines.postgres.loader import META_TABLE, default_tables, fingerprint

        tables = default_tables(self.datadir)
        if not tables or not self.relation_exists(META_TABLE):
            return False
        rows = self.run(f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'").to_pylist()
        try:
            stored = json.loads(rows[0]["value"]) if rows else None
        except ValueError:
            return False
        if stored != fingerprint(self.datadir, tables):
            return False
        if not all(self.relation_exists(t) for t in tables):
            return False
        # Tables loaded by a ducky without the stored columns (types.STORED_COLUMNS) are not
        # current: the optimized WAU reads ducky_week, so the next load adds it (one reload).
        from ducky.engines.postgres.types import STORED_COLUMNS

        for t in tables:
            for col, _, _ in STORED_COLUMNS.get(t, ()):
                sql = (
                    "SELECT count(*) AS n FROM pg_attribute WHERE attrelid = "
                    f"to_regclass('{t}') AND attname = '{col}' AND NOT attisdropped"
                )
                if not self.run(sql).column(0)[0].as_py():
                    return False
        return True

    def load(self, force: bool = False, progress: bool | None = None) -> None:
        """Load the data directory unless the server already holds it (same fingerprint).

        `progress` None: a progress bar (on stderr) when stderr is a terminal.
        """
        import sys

        from ducky.engines.postgres.loader import load_datadir

        if progress is None:
            progress = sys.stderr.isatty()

        t0 = time.perf_counter()
        if not force and self.is_current():
            self.timings.append(_timing("load", time.perf_counter() - t0, skipped=True))
            return
        report = load_datadir(
            self.datadir, self.dsn, progress=progress, method=self.method, schema=self.schema
        )
        self.last_load = report
        self.timings.append(
            _timing("load", time.perf_counter() - t0, skipped=False, rows=report.rows)
        )

    def prepare(self, query: str, variant: str) -> list[Any]:
        """As Engine.prepare, except that the `rollup` variant is built as ducky's maintained
        rollup (keyed tables, insert triggers, state: rollups.py), so a bench or a
        test that prepares it leaves the same rollup `ducky rollup build` would."""
        from ducky.sql.catalog import ROLLUP_QUERIES, defines

        replaced = any(defines(r, query, variant, self.dialect) for r in self.search_roots())
        if variant == "rollup" and query in ROLLUP_QUERIES and not replaced:
            from ducky.engines.postgres.rollups import PostgresRollups

            stages = PostgresRollups(self).build(query)
            self.timings.extend(stages)
            return stages
        return super().prepare(query, variant)

    # -- SQL ---------------------------------------------------------------------------------------
    @classmethod
    def sql_dialect(cls) -> Any:
        """sqlglot's PostgreSQL plus ducky's fix-ups (engines/postgres/dialect.py)."""
        from ducky.engines.postgres.dialect import DuckyPostgres

        return DuckyPostgres()

    def _wrap(self, e: Exception) -> EngineError:
        import psycopg

        msg = dsnlib.scrub(dsnlib.first_line(e), self._dsn)
        if isinstance(e, psycopg.OperationalError) and self._con is not None and self._con.closed:
            self._con = None  # a dropped connection: the next call reconnects
            return ConnectionFailed(f"postgres: lost the connection to {self.target}: {msg}")
        if isinstance(e, psycopg.errors.QueryCanceled) and self.statement_timeout:
            return QueryTimeout(
                f"postgres: query stopped after the {self.statement_timeout} ms statement_timeout"
            )
        if isinstance(e, psycopg.errors.OutOfMemory):
            return QueryOutOfMemory(f"postgres: the server ran out of memory for the query: {msg}")
        return EngineError(f"postgres: {msg}")

    def execute(self, sql: str, params: Any = None) -> None:
        """Run statements that return no rows (DDL, SET, index builds). Several allowed."""
        import psycopg

        try:
            self.con.execute(sql, params)
        except psycopg.Error as e:
            raise self._wrap(e) from e

    def run(self, sql: str) -> pa.Table:
        import psycopg
        import pyarrow as pa

        try:
            with self.con.cursor() as cur:
                cur.execute(sql)
                if cur.description is None:
                    return pa.table({})
                rows = cur.fetchall()
                desc = cur.description
        except psycopg.Error as e:
            raise self._wrap(e) from e
        arrays, fields = [], []
        for i, col in enumerate(desc):
            values = [r[i] for r in rows]
            typ = _arrow_type(col.type_code, col.precision, col.scale, values)
            arr = pa.array(values, type=typ)
            arrays.append(arr)
            fields.append(pa.field(col.name, arr.type))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def explain(self, sql: str, analyze: bool = True) -> str:
        """`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` text (without ANALYZE: the plan only)."""
        import json

        opts = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
        table = self.run(f"EXPLAIN ({opts}) {sql}")
        value = table.column(0)[0].as_py()
        return value if isinstance(value, str) else json.dumps(value, indent=2)

    def load_native(
        self, tables: list[str] | None = None, progress: bool = False, **options: Any
    ) -> dict[str, Any]:
        """`ducky load`: the loader's transaction (options: method, vacuum), always afresh."""
        from ducky.engines.postgres.loader import load_datadir

        report = load_datadir(
            self.datadir,
            self._dsn,
            tables or None,
            progress=progress,
            method=options.get("method", self.method),
            vacuum=options.get("vacuum", True),
        )
        self.last_load = report
        return {"engine": "postgres", **report.to_dict()}

    def rollup_store(self) -> Any:
        from ducky.engines.postgres.rollups import PostgresRollups

        return PostgresRollups(self)

    def rollup_insert_cost(self, query: str, rows: int) -> dict[str, Any]:
        from ducky.engines.postgres.maintenance import measure_insert_cost

        return measure_insert_cost(self, query, rows=rows)

    def object_size(self, name: str, table: bool = True) -> dict[str, Any]:
        """Rows (tables) and bytes on disk (indexes and TOAST included) of a setup's object."""
        out = super().object_size(name, table)
        try:
            sql = f"SELECT pg_total_relation_size(to_regclass('{_literal(name)}'))"
            value = self.run(sql).column(0)[0].as_py()
            if value is not None:
                out["bytes"] = int(value)
        except Exception as e:  # sizes are informative; a failure must not fail the setup
            out["size_error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        return out

    def version(self) -> str | None:
        return str(self.run("SHOW server_version").column(0)[0].as_py())

    def capture_plan(self, sql: str, stem: Any) -> Any:
        """`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` saved as `<stem>.json`, summarised."""
        import json

        from ducky.engines.plans import CapturedPlan, as_json, scalar, with_suffix
        from ducky.engines.postgres.plans import parse_postgres_json

        doc = as_json(scalar(self.run("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)))
        path = with_suffix(stem, ".json")
        path.write_text(json.dumps(doc, indent=1))
        return CapturedPlan(path, None, parse_postgres_json(doc))

    # -- helpers for bench variants ----------------------------------------------------------------
    def relation_exists(self, name: str) -> bool:
        return bool(
            self.run(f"SELECT to_regclass('{_literal(name)}') IS NOT NULL").column(0)[0].as_py()
        )

    def relation_size(self, name: str) -> int:
        """Bytes on disk of a table, index or materialized view, indexes and TOAST included."""
        t = self.run(f"SELECT pg_total_relation_size('{_literal(name)}'::regclass)")
        return int(t.column(0)[0].as_py())

    def reset_settings(self) -> None:
        """Back to the server's settings (undo a variant's SET work_mem = ... etc.)."""
        self.execute("RESET ALL")  # search_path too: back into ducky's schema below
        from ducky.engines.postgres.ownership import search_path_sql

        self.execute(search_path_sql(self.schema))
        if self.statement_timeout is not None:
            self.execute(f"SET statement_timeout = '{int(self.statement_timeout)}'")

    def vacuum_analyze(self, table: str | None = None) -> None:
        """VACUUM (ANALYZE): sets the visibility map so index-only scans skip the heap."""
        target = f' "{table}"' if table else ""
        self.execute(f"VACUUM (ANALYZE){target}")


def _literal(name: str) -> str:
    return name.replace("'", "''")


def _timing(stage: str, seconds: float, **detail: Any) -> Any:
    from ducky.engines.base import StageTiming

    return StageTiming(stage, seconds, dict(detail))
