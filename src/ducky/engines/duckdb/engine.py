"""DuckDB engine: the embedded default.

Two modes: `parquet` (default) defines views over the data directory's Parquet files, so
nothing is copied; `native` loads the tables into a DuckDB database file kept in the data
directory's state folder, which the bench compares against querying Parquet directly.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ducky.engines.base import Engine
from ducky.errors import EngineError, QueryOutOfMemory, QueryTimeout, UserError
from ducky.schema import SQL_TYPES, TABLES
from ducky.sql.catalog import DEFAULT_VARIANT

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from ducky.datasets import DataDir

_NATIVE_STATE = "ducky_native_state"  # fingerprint of the data the native tables hold
MODES = ("parquet", "native")
OPTIONS = ("mode", "database", "threads", "memory_limit", "timeout")
# DuckDB's own size syntax: 512MB, 4GB, 1.5GiB (a bare number is rejected by DuckDB too)
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|[KMGT]i?B)$", re.IGNORECASE)


# Inside `rows_results()`, DuckDBEngine.query returns `Rows` (DuckDB's own fetchall) instead of
# an Arrow table. Only the CLI printer asks for it: converting a handful of result rows to
# Arrow costs nothing, but importing pyarrow (and numpy) costs ~0.1 s of a `ducky query` call.
_ROWS: contextvars.ContextVar[bool] = contextvars.ContextVar("ducky_duckdb_rows", default=False)


@contextlib.contextmanager
def rows_results() -> Iterator[None]:
    """`DuckDBEngine.query` returns `Rows` while this is open (the CLI printer's path)."""
    token = _ROWS.set(True)
    try:
        yield
    finally:
        _ROWS.reset(token)


@dataclass
class Rows:
    """A small query result without Arrow: column names, DuckDB type names, Python rows (the
    same values Arrow's to_pylist gives: int, Decimal, date, datetime, str, bool, None). It
    answers the part of pyarrow.Table's surface that the CLI printer reads."""

    column_names: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]

    @property
    def num_rows(self) -> int:
        return len(self.rows)

    def to_pylist(self) -> list[dict[str, Any]]:
        return [dict(zip(self.column_names, r, strict=True)) for r in self.rows]

    def is_numeric(self, name: str) -> bool:
        kind = self.types[self.column_names.index(name)].upper()
        return kind.startswith(_NUMERIC_TYPES)


_NUMERIC_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
)  # fmt: skip


def _positive_int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or (isinstance(value, float) and value != n):
        raise UserError(f"duckdb option {name} must be a whole number of at least 1, not {value!r}")
    return n


def query_timeout(engine: str, value: Any) -> float | None:
    """Seconds from `-o timeout=` (else DUCKY_QUERY_TIMEOUT); None or 0 = no limit."""
    if value is None:
        value = os.environ.get("DUCKY_QUERY_TIMEOUT") or None
    if value is None or value == "":
        return None
    try:
        secs = float(value)
    except (TypeError, ValueError):
        secs = -1.0
    if not math.isfinite(secs) or secs < 0:
        raise UserError(f"{engine} option timeout must be seconds (0 = none), not {value!r}")
    return secs or None


class DuckDBEngine(Engine):
    """Embedded DuckDB over the Parquet data directory (or a native database file)."""

    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    requires: ClassVar[tuple[str, ...]] = ("duckdb",)
    description: ClassVar[str] = "embedded DuckDB over Parquet (default) or a native DuckDB file"
    supports_rollups: ClassVar[bool] = True  # in the native file (rollup_store says so)
    supports_native_load: ClassVar[bool] = True
    supports_plans: ClassVar[bool] = True
    supports_indexes: ClassVar[bool] = True
    concurrent_queries: ClassVar[bool] = True  # each run() has its own cursor
    storage_options: ClassVar[dict[str, Any]] = {"mode": "native"}
    ddl_types: ClassVar[dict[str, str]] = SQL_TYPES  # the canonical types are DuckDB's

    def __init__(
        self,
        datadir: DataDir,
        mode: str = "parquet",
        database: str | Path | None = None,
        threads: int | str | None = None,
        memory_limit: str | None = None,
        timeout: float | str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(datadir, **options)
        # a typo'd -o must not be ignored silently (None: a generic caller's unset option)
        unknown = sorted(k for k, v in options.items() if v is not None and k != "dsn")
        if unknown:
            raise UserError(
                f"unknown duckdb option {unknown[0]!r}: the options are {', '.join(OPTIONS)}"
            )
        if mode not in MODES:
            raise UserError(f"duckdb mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.database = Path(database) if database else None
        self.threads = _positive_int("threads", threads)
        if memory_limit is None:
            memory_limit = os.environ.get("DUCKY_DUCKDB_MEMORY_LIMIT") or None
        if memory_limit is not None and not _SIZE.match(str(memory_limit).strip()):
            raise UserError(
                f"duckdb option memory_limit must be a size such as 4GB or 512MiB, "
                f"not {memory_limit!r}"
            )
        self.memory_limit = None if memory_limit is None else str(memory_limit).strip()
        # per query: a watchdog interrupts the query's own connection when it runs longer
        self.timeout = query_timeout("duckdb", timeout)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._owner = threading.get_ident()  # the thread that connects (see run)
        # render() picks the data-specific full-scan SQL (fast.py); tests turn it off to
        # compare with the canonical text
        self.fast_paths = True
        self._present: dict[str, list[str]] = {}  # present_columns, as of the last load()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self.connect()
        assert self._con is not None
        return self._con

    def native_path(self) -> Path:
        return self.database or self.datadir.state_dir / "duckdb" / "ducky.duckdb"

    def connect(self) -> None:
        import duckdb

        if self._con is not None:
            return
        target = ":memory:"
        if self.mode == "native":
            path = self.native_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            target = str(path)
        try:
            self._owner = threading.get_ident()
            self._con = duckdb.connect(target)
            if self.threads:
                self._con.execute(f"SET threads = {int(self.threads)}")
            if self.memory_limit:
                # validated above against DuckDB's size syntax: no quote can reach the SQL
                self._con.execute(f"SET memory_limit = '{self.memory_limit}'")
        except duckdb.Error as e:
            raise EngineError(f"duckdb: could not open {target}: {e}") from e

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def present_columns(self, table: str) -> list[str]:
        """`table`'s canonical columns that at least one of its files holds (as
        DataDir.present_columns), read by DuckDB from the footers: a `ducky query` then never
        imports pyarrow (~0.1 s of the CLI's start-up). The last load() read them for every
        table in one query; its views were made from that answer, so the SQL chosen for them
        (fast.py) uses the same one."""
        if table not in self._present:
            self._present.update(self._read_present([table]))
        return self._present[table]

    def _read_present(self, tables: list[str]) -> dict[str, list[str]]:
        globs = {t: self.datadir.table_glob(t) for t in tables}
        listed = ", ".join("'" + g.replace("'", "''") + "'" for g in globs.values())
        found = self.con.execute(
            f"SELECT DISTINCT file_name, name FROM parquet_schema([{listed}])"
        ).fetchall()
        names: dict[str, set[str]] = {t: set() for t in tables}
        files = {t: {str(f) for f in self.datadir.table_files(t)} for t in tables}
        for file_name, name in found:
            for t in tables:
                if str(file_name) in files[t]:
                    names[t].add(str(name))
        return {
            t: [c.name for c in TABLES[t].columns if not c.optional or c.name in names[t]]
            for t in tables
        }

    def render(self, query: str, variant: str = DEFAULT_VARIANT, **params: Any) -> str:
        """The variant's SQL; for `optimized` over Parquet, the full-scan text chosen from what
        the files hold (fast.py: column presence, id and time statistics), else the canonical
        text. SQL roots added by the caller (--sql-dir) or the class always win."""
        if (
            self.fast_paths
            and variant == "optimized"
            and self.mode == "parquet"
            and not self.extra_sql_roots
            and not type(self).sql_roots
            and self.datadir.has_table("events")
        ):
            from ducky.engines.duckdb import fast

            text = fast.render(self, query, params)
            if text is not None:
                return text
        return super().render(query, variant, **params)

    def _source(self, table: str) -> str:
        present = set(self.present_columns(table))
        columns = TABLES[table].columns
        cols = ", ".join(
            f'"{c.name}"' if c.name in present else f'CAST(NULL AS {SQL_TYPES[c.type]}) "{c.name}"'
            for c in columns
        )
        glob = self.datadir.table_glob(table).replace("'", "''")
        # Optional columns may be in some files only (months ingested after they existed):
        # union_by_name reads them as NULL elsewhere. Data without them keeps the plain scan.
        some = any(c.optional and c.name in present for c in columns)
        union = ", union_by_name = true" if some else ""
        return f"SELECT {cols} FROM read_parquet('{glob}'{union})"

    def load(self, force: bool = False) -> None:
        """Views over Parquet (`parquet` mode) or tables copied from Parquet (`native`).

        A native file that already holds this data directory's tables (same fingerprint: path,
        manifest time, row counts) is used as it is unless `force`: copying 100M events takes
        ~25 s, which would otherwise be paid by every query (and rollup) on the native file.
        """
        tables = [t for t in TABLES if self.datadir.has_table(t)]
        if self.mode == "parquet":
            self._present = self._read_present(tables) if tables else {}
            for t in tables:
                self._execute(f'CREATE OR REPLACE VIEW "{t}" AS {self._source(t)}')
            return
        fp = self.data_fingerprint()
        if not force and self._stored_fingerprint(tables) == fp:
            # The native tables hold this data already: no Parquet footer is read (~30 ms at
            # 100M events); present_columns() reads them only if something asks.
            self._present = {}
            return
        self._present = self._read_present(tables) if tables else {}
        # One transaction: a failed copy leaves the previous tables and their fingerprint.
        self._execute("BEGIN TRANSACTION")
        try:
            for t in tables:
                self._execute(f'CREATE OR REPLACE TABLE "{t}" AS {self._source(t)}')
            self._execute(f"CREATE OR REPLACE TABLE {_NATIVE_STATE} (fingerprint VARCHAR)")
            self.con.execute(f"INSERT INTO {_NATIVE_STATE} VALUES (?)", [fp])
            self._execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def data_fingerprint(self) -> str:
        """What identifies the data directory's current contents (path, manifest time, row
        counts): the native tables and the rollups built from them are valid while it holds."""
        import json

        return json.dumps(self.datadir.fingerprint(), sort_keys=True)

    def _stored_fingerprint(self, tables: list[str]) -> str | None:
        present = {
            r[0]
            for r in self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        }
        if _NATIVE_STATE not in present or not set(tables) <= present:
            return None
        rows = self.con.execute(f"SELECT fingerprint FROM {_NATIVE_STATE}").fetchall()
        return str(rows[0][0]) if rows else None

    def _wrap(self, e: Exception) -> EngineError:
        """DuckDB's error as one line; out of memory under the limit is its own kind (a
        resource answer, 503 from the API, like a timeout)."""
        import duckdb

        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if isinstance(e, duckdb.OutOfMemoryException):
            limit = f"memory_limit {self.memory_limit}" if self.memory_limit else "memory limit"
            return QueryOutOfMemory(
                f"duckdb: the query needs more than the {limit} allows, even spilling to "
                f"disk (-o memory_limit= or DUCKY_DUCKDB_MEMORY_LIMIT; or fewer queries at once): "
                f"{first}"
            )
        return EngineError(f"duckdb: {first}")

    def _execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        import duckdb

        try:
            return self.con.execute(sql)
        except duckdb.Error as e:
            raise self._wrap(e) from e

    def query(self, query: str, variant: str = DEFAULT_VARIANT, **params: Any) -> pa.Table:
        """As Engine.query; inside `rows_results()` the answer is a `Rows` (no Arrow)."""
        sql = self.render(query, variant, **params)
        if _ROWS.get():
            rows: Any = self._run(sql, _fetch_rows)
            return rows  # a Rows, which the CLI printer reads like a table
        return self.run(sql)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """`sql`'s answer as Python dicts from DuckDB's fetchall(), without Arrow: what the
        rollup store reads on a query's path (table list, build state). Going through
        run().to_pylist() there imported pyarrow and numpy, ~0.15 s of a rollup answer."""
        result: Rows = self._run(sql, _fetch_rows)
        return result.to_pylist()

    def run(self, sql: str) -> pa.Table:
        # cur.sql(...).to_arrow_table() avoids the extra copy of a DB-API cursor result.
        table: pa.Table = self._run(sql, lambda rel: rel.to_arrow_table())
        return table

    def _run(self, sql: str, fetch: Callable[[Any], Any]) -> Any:
        import duckdb

        # A query from another thread than the one that connected (the API's threadpool) gets
        # its own cursor (a connection to the same database): queries run side by side instead
        # of queueing behind one shared connection, and the timeout interrupts only that query.
        # The connecting thread keeps the main connection, so its open transaction (native
        # load, rollup builds: BEGIN ... COMMIT around run()) still covers what it runs.
        own = threading.get_ident() != self._owner
        cur = self.con.cursor() if own else self.con
        timer = None
        fired = threading.Event()
        if self.timeout:

            def stop() -> None:
                fired.set()
                cur.interrupt()

            timer = threading.Timer(self.timeout, stop)
            timer.daemon = True
            timer.start()
        try:
            return fetch(cur.sql(sql))
        except duckdb.Error as e:
            if fired.is_set():
                raise QueryTimeout(
                    f"duckdb: query stopped after the {self.timeout:g} s timeout "
                    "(-o timeout= or DUCKY_QUERY_TIMEOUT)"
                ) from e
            raise self._wrap(e) from e
        finally:
            if timer is not None:
                timer.cancel()
            if own:
                cur.close()

    def explain(self, sql: str, analyze: bool = True) -> str:
        prefix = "EXPLAIN ANALYZE " if analyze else "EXPLAIN "
        rows = self._execute(prefix + sql).fetchall()
        return "\n".join(str(r[-1]) for r in rows)

    def version(self) -> str | None:
        return str(self.run("SELECT version()").column(0)[0].as_py())

    def capture_plan(self, sql: str, stem: Path) -> Any:
        """DuckDB's JSON profile (`<stem>.json`, operator timings exclusive) and the boxed
        `EXPLAIN ANALYZE` text (`<stem>.txt`), summarised from the JSON."""
        import json

        from ducky.engines.duckdb.plans import parse_duckdb_json
        from ducky.engines.plans import CapturedPlan, as_json, scalar, with_suffix

        doc = as_json(scalar(self.run("EXPLAIN (ANALYZE, FORMAT json) " + sql)))
        path = with_suffix(stem, ".json")
        path.write_text(json.dumps(doc, indent=1))
        text_path = with_suffix(stem, ".txt")
        text_path.write_text(self.explain(sql, analyze=True))
        return CapturedPlan(path, text_path, parse_duckdb_json(doc))

    # -- storage -----------------------------------------------------------------------------
    def rollup_store(self) -> Any:
        """Rollups live in the native database file: a UserError in `parquet` mode."""
        if self.mode != "native":
            raise UserError(
                "DuckDB keeps rollups in its native database file: build them with "
                "`ducky rollup build -e duckdb` and query with `-o mode=native`"
            )
        from ducky.engines.duckdb.rollups import DuckDBRollups

        return DuckDBRollups(self)

    def load_native(
        self, tables: list[str] | None = None, progress: bool = False, **options: Any
    ) -> dict[str, Any]:
        """`ducky load`: copy every table into the native file afresh (open with
        `storage_options`, i.e. mode=native)."""
        import time

        from ducky.schema import REQUIRED_TABLES

        self.datadir.validate(REQUIRED_TABLES)
        t0 = time.perf_counter()
        with self:
            self.load(force=True)  # an explicit load always copies afresh
            path = str(self.native_path())
        m = self.datadir.manifest()
        rows = sum(m.rows(t) for t in m.tables)
        secs = time.perf_counter() - t0
        return {
            "engine": "duckdb",
            "target": path,
            "rows": rows,
            "seconds": round(secs, 4),
            "rows_per_s": round(rows / secs, 1) if secs > 0 else 0.0,
        }


def _fetch_rows(rel: Any) -> Rows:
    return Rows(list(rel.columns), [str(t) for t in rel.types], rel.fetchall())
