"""Loading a data directory into PostgreSQL: fast, idempotent, all-or-nothing.

One transaction per load: each table is streamed into a fresh staging table, then the old
table is dropped and the staging table renamed in that same transaction, primary keys are added
after the data (one index build instead of per-row maintenance) and the dataset fingerprint is
written to `ducky_meta`. A failure anywhere rolls everything back: readers keep seeing the
previous tables, and nothing is ever appended twice.

Three transfer methods, measured in docs/benchmarks/load.md:
- `binary` (default): psycopg 3 `COPY ... (FORMAT binary, FREEZE)` fed with Arrow batches
  encoded by numpy (binary_copy.py). Binary is the cheapest format for the server to
  parse, and FREEZE writes rows frozen with pages all-visible, so no VACUUM pass is needed.
- `adbc`: ADBC's PostgreSQL driver streams Arrow batches as binary COPY too (about the same
  server work), but cannot ask for FREEZE, so the load ends with VACUUM (FREEZE): a second
  pass over the whole table.
- `csv`: psycopg 3 `COPY ... (FORMAT csv, FREEZE)` of batches written by pyarrow's CSV
  writer; the cheapest client, the most server CPU (text timestamps), no list columns.
All write into a table created in the same transaction, which on a server with
wal_level=minimal (the local server) skips WAL for the whole COPY.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.atomic import _pause  # kill -9 tests stop at the named windows below
from ducky.datasets import DataDir
from ducky.engines.base import table_ddl
from ducky.engines.postgres import dsn as dsnlib
from ducky.engines.postgres.types import DDL_TYPES, stored_columns_sql
from ducky.errors import ConnectionFailed, DataDirError, EngineError, UserError
from ducky.schema import TABLES, Table, arrow_schema

if TYPE_CHECKING:
    from ducky.engines.postgres.ownership import DropPlan

META_TABLE = "ducky_meta"
STAGING_PREFIX = "ducky_staging_"
METHODS = ("adbc", "binary", "csv")
FROZEN_METHODS = ("binary", "csv")  # COPY ... FREEZE: no VACUUM needed after the load
BATCH_ROWS = 256_000
# SQLSTATE classes worth a retry: connection exceptions, server shutting down, too many
# connections, serialization failure / deadlock (a concurrent load racing this one).
# The load's commit waits for its WAL even on a server with synchronous_commit=off: until the
# commit record is flushed, VACUUM may not set hint bits or mark pages all-visible, and the
# VACUUM that follows the load would leave most pages to autovacuum.
SYNC_COMMIT = "SET LOCAL synchronous_commit TO on"
TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "40001", "40P01")


@dataclass
class TableLoad:
    table: str
    rows: int
    seconds: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class LoadReport:
    """What a load did: rows and time per table, total rows/s, and the fingerprint stored."""

    target: str  # password-free description of the server
    method: str
    tables: list[TableLoad] = field(default_factory=list)
    seconds: float = 0.0  # the whole transaction, keys and ANALYZE included
    vacuum_seconds: float = 0.0  # VACUUM (FREEZE) after the commit, when asked
    attempts: int = 1
    fingerprint: dict[str, Any] = field(default_factory=dict)
    rollups: list[dict[str, Any]] = field(default_factory=list)  # rebuilt in the transaction

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "method": self.method,
            "rows": self.rows,
            "seconds": round(self.seconds, 4),
            "rows_per_s": round(self.rows_per_s, 1),
            "vacuum_seconds": round(self.vacuum_seconds, 4),
            "attempts": self.attempts,
            "tables": [
                {
                    "table": t.table,
                    "rows": t.rows,
                    "seconds": round(t.seconds, 4),
                    "rows_per_s": round(t.rows_per_s, 1),
                }
                for t in self.tables
            ],
            "fingerprint": self.fingerprint,
            "rollups": self.rollups,
        }


def fingerprint(datadir: DataDir, tables: Sequence[str]) -> dict[str, Any]:
    """What identifies the loaded data (DataDir.fingerprint), as stored in `ducky_meta`."""
    return datadir.fingerprint(list(tables))


def resolve_dsn(datadir: DataDir, dsn: str | None) -> str:
    """Explicit DSN, else DUCKY_PG_DSN, else the local server under the data dir (started)."""
    if dsn:
        return dsn
    env = dsnlib.env_dsn()
    if env:
        return env
    from ducky.engines.postgres.announce import ensure_local_server

    return ensure_local_server(datadir.state_dir, datadir.path)


def default_tables(datadir: DataDir) -> list[str]:
    return [t for t in TABLES if datadir.has_table(t)]


def _file_rows(paths: Sequence[Path]) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def _canonical(table: str, paths: Sequence[Path]) -> Table:
    """`table` with its ids typed as the data directory stores them (integers or strings)."""
    import pyarrow.parquet as pq

    from ducky.schema import id_types_of, with_id_types

    ids = id_types_of(pq.read_schema(paths[0]), table) if paths else None
    return with_id_types(table, ids)


def _batches(
    table: str,
    paths: Sequence[Path],
    on_rows: Callable[[int], None],
    present: Sequence[str] | None = None,
) -> Iterator[Any]:
    """Record batches of the canonical columns (or of `present`: the required ones plus the
    optional ones some file holds), in file order, reporting rows as they go. An optional
    column a file lacks comes as NULLs; one no file holds is left out, so the COPY leaves it
    to the table's NULL default and integer-id data streams the bytes it always did."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(_canonical(table, paths), present=present)
    for p in paths:
        try:
            f = pq.ParquetFile(p)
            have = set(f.schema_arrow.names)
            read = [n for n in schema.names if n in have]
            for batch in f.iter_batches(batch_size=BATCH_ROWS, columns=read):
                if len(read) != len(schema.names):
                    batch = pa.RecordBatch.from_arrays(
                        [
                            batch.column(n) if n in have else pa.nulls(batch.num_rows, fld.type)
                            for n, fld in zip(schema.names, schema, strict=True)
                        ],
                        schema=schema,
                    )
                # Files are schema-checked, but a batch can come back with a nullable flag
                # that differs; the cast aligns it to the canonical schema exactly.
                out = batch.cast(schema) if not batch.schema.equals(schema) else batch
                on_rows(out.num_rows)
                yield out
        except DataDirError:
            raise
        except Exception as e:  # pyarrow raises several types for unreadable files
            reason = " ".join(str(e).split()) or type(e).__name__  # one line, always
            raise DataDirError(f"{p}: cannot read Parquet file ({reason})") from e


def present_columns(table: str, paths: Sequence[Path]) -> list[str]:
    """`table`'s required columns plus the optional ones at least one of `paths` holds."""
    import pyarrow.parquet as pq

    names: set[str] = set()
    for p in paths:
        names.update(pq.read_schema(p).names)
    return [c.name for c in TABLES[table].columns if not c.optional or c.name in names]


def _remember(it: Iterator[Any], failure: list[BaseException]) -> Iterator[Any]:
    try:
        yield from it
    except BaseException as e:
        failure.append(e)
        raise


def _is_transient(e: BaseException) -> bool:
    state = getattr(e, "sqlstate", None)
    if state is None:
        diag = getattr(e, "diag", None)
        state = getattr(diag, "sqlstate", None)
    if state:
        return str(state).startswith(TRANSIENT_SQLSTATES)
    # A connect failure has no SQLSTATE: libpq's text says so.
    text = str(e).lower()
    return "connection" in text and any(
        w in text for w in ("refused", "closed", "terminated", "reset", "timeout", "timed out")
    )


class _Progress:
    """A rich progress bar with rows/s, or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self.total = total
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} rows/s"),
                TimeElapsedColumn(),
                console=Console(stderr=True),  # stdout stays clean for --json / csv output
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("loading", total=self.total, rate="-")
        self._t0 = time.perf_counter()
        self._done = 0
        return self

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=text)

    def advance(self, rows: int) -> None:
        self._done += rows
        if self._bar is not None:
            rate = self._done / max(time.perf_counter() - self._t0, 1e-9)
            self._bar.update(self._task, advance=rows, rate=f"{rate:,.0f}")

    def reset(self) -> None:
        self._done = 0
        self._t0 = time.perf_counter()
        if self._bar is not None:
            self._bar.reset(self._task, total=self.total, rate="-")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def load_datadir(
    datadir: DataDir | str | Path,
    dsn: str | None = None,
    tables: Sequence[str] | None = None,
    progress: bool = False,
    method: str = "binary",
    retries: int = 3,
    vacuum: bool = True,
    schema: str | None = None,
) -> LoadReport:
    """Load the canonical tables of `datadir` into PostgreSQL in one transaction.

    Re-running replaces the tables (never duplicates); a failure leaves the previous tables
    untouched. Transient connection errors are retried with exponential backoff.

    Everything lands in ducky's own schema (`schema`, else DUCKY_PG_SCHEMA, else `ducky`:
    ownership.py), created and marked on first use; a same-named schema without ducky's
    marker is refused, and so is replacing a table that any object outside it depends on (a
    view, a foreign key, a function with an SQL body, a column of its row type, ...:
    ownership.drop_plan); ducky's tables are dropped without CASCADE. A role that may not
    use or write into the schema is refused in one line (ownership.NoPrivilege).

    `vacuum` (default) runs VACUUM (FREEZE) on the new tables after the commit: it sets the
    visibility map (index-only scans then skip the heap) and the hint bits, work that
    autovacuum and the first queries would otherwise do at a random later moment, in the
    middle of a benchmark. Its time is reported apart (`vacuum_seconds`). Statistics come
    from the ANALYZE inside the transaction; measured here, `VACUUM (FREEZE, ANALYZE)` right
    after an ADBC load often left the visibility map unset, plain `VACUUM (FREEZE)` never did.
    """
    dd = datadir if isinstance(datadir, DataDir) else DataDir(datadir)
    if method not in METHODS:
        raise UserError(f"load method must be one of {', '.join(METHODS)}, not {method!r}")
    names = list(tables) if tables else default_tables(dd)
    unknown = [t for t in names if t not in TABLES]
    if unknown:
        raise UserError(f"unknown table(s) {', '.join(unknown)}: choose from {', '.join(TABLES)}")
    dd.validate(tuple(names), deep=True)
    from ducky.engines.postgres.ownership import schema_name

    schema = schema_name(schema)
    target = resolve_dsn(dd, dsn)
    files = {t: dd.table_files(t) for t in names}
    total = sum(_file_rows(f) for f in files.values())
    fp = fingerprint(dd, names)
    if method == "adbc":
        import importlib.util

        if importlib.util.find_spec("adbc_driver_postgresql") is None:
            raise UserError(
                "the adbc load method needs adbc-driver-postgresql: pip install "
                "'ducky[postgres]', or use --method binary"
            )
    transfer = {"adbc": _load_adbc, "binary": _load_binary, "csv": _load_csv}[method]

    check_connection(target)
    attempt = 0
    with _Progress(total, progress) as bar:
        while True:
            attempt += 1
            report = LoadReport(dsnlib.describe(target), method, attempts=attempt, fingerprint=fp)
            t0 = time.perf_counter()
            try:
                transfer(target, names, files, fp, report, bar, schema)
            except (DataDirError, UserError):
                raise
            except Exception as e:
                if attempt < retries and _is_transient(e):
                    time.sleep(0.5 * 2 ** (attempt - 1))
                    bar.reset()
                    continue
                raise _wrap(e, target) from e
            report.seconds = time.perf_counter() - t0
            if vacuum and method not in FROZEN_METHODS:
                bar.describe("vacuum")
                t1 = time.perf_counter()
                _vacuum(target, names, schema)
                report.vacuum_seconds = time.perf_counter() - t1
            return report


def check_connection(target: str) -> None:
    """Fail fast with one clear line when the server cannot be reached (retrying briefly)."""
    import psycopg

    last: Exception | None = None
    for attempt in range(3):
        try:
            with psycopg.connect(target, connect_timeout=10) as c:
                c.execute("SELECT 1")
            return
        except psycopg.Error as e:
            last = e
            if not _is_transient(e):
                break
            time.sleep(0.3 * 2**attempt)
    assert last is not None
    raise _wrap(last, target) from last


def _wrap(e: BaseException, target: str) -> EngineError:
    """A driver error as ducky's one-line error, never showing the password."""
    if isinstance(e, EngineError):
        return e
    msg = dsnlib.scrub(dsnlib.first_line(e), target)
    where = dsnlib.describe(target)
    text = str(e).lower()
    connect_problem = (
        getattr(e, "sqlstate", None) is None
        and getattr(getattr(e, "diag", None), "sqlstate", None) is None
        and any(
            w in text
            for w in (
                "connection",
                "authentication",
                "could not translate",
                "invalid dsn",
                "invalid connection option",
                'missing "="',
                "invalid uri",
                "password",
            )
        )
    )
    # A DSN libpq misreads (an unencoded '/' or '@' in the password: "failed to resolve host")
    # is a connection problem too, exit 3 as for any DSN that cannot connect.
    connect_problem = connect_problem or dsnlib.problem(target) is not None
    if connect_problem or str(getattr(e, "sqlstate", "") or "").startswith(("08", "28")):
        return ConnectionFailed(f"postgres: cannot connect to {where}: {msg}")
    return EngineError(f"postgres ({where}): {msg}")


def _vacuum(target: str, names: Sequence[str], schema: str) -> None:
    import psycopg

    from ducky.engines.postgres.ownership import search_path_sql

    try:
        with psycopg.connect(target, autocommit=True, connect_timeout=10) as c:
            c.execute(search_path_sql(schema))
            for t in names:
                c.execute(f'VACUUM (FREEZE) "{t}"')
    except psycopg.Error as e:
        raise _wrap(e, target) from e


def _swap_sql(table: str) -> list[str]:
    """Statements that replace `table` by its staging copy, keys built after the data."""
    t = TABLES[table]
    stage = STAGING_PREFIX + table
    out = [
        # Never CASCADE: ducky's own dependents (a view a bench variant built on the old
        # table) were dropped one by one before (ownership.drop_plan), and anything missed
        # makes PostgreSQL refuse here instead of silently taking someone else's object.
        f'DROP TABLE IF EXISTS "{table}" RESTRICT',
        f'ALTER TABLE "{stage}" RENAME TO "{table}"',
    ]
    if t.key:
        cols = ", ".join(f'"{c}"' for c in t.key)
        out.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({cols})')
    out.append(f'ANALYZE "{table}"')
    return out


def _meta_sql() -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
        "updated_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    ]


def _meta_upsert(fp: dict[str, Any]) -> tuple[str, tuple[str]]:
    import json

    return (
        f"INSERT INTO {META_TABLE} (key, value) VALUES ('fingerprint', $1) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        (json.dumps(fp, sort_keys=True),),
    )


def _finish_load(
    execute: Callable[..., Any],
    fetch: Callable[[str], list[tuple[Any, ...]]],
    names: Sequence[str],
    fp: dict[str, Any],
    bar: _Progress,
    report: LoadReport,
    placeholder: str = "$1",
) -> None:
    """The tail every transfer method shares, inside the load's one transaction: keys,
    statistics and the staging -> live swap per table, then the stored fingerprint, then the
    rebuild of existing rollups. `placeholder` is the driver's parameter marker (ADBC: $1,
    psycopg: %s); `fetch` runs a query and returns its rows."""
    bar.describe("keys, statistics, swap")
    schema = str(fetch("SELECT current_schema()")[0][0])
    # Refuse if anything outside ducky's schema depends on a table about to be replaced
    # (checked again here, right before the drops); drop ducky's own dependents first.
    plan = _check_dependents(fetch, schema, names)
    for stmt in plan.own_drops:
        execute(stmt)
    for t in names:
        for stmt in _swap_sql(t):
            execute(stmt)
        _pause("pg-swapped")  # old table dropped, new one renamed and keyed; not committed
    for stmt in _meta_sql():
        execute(stmt)
    sql, params = _meta_upsert(fp)
    execute(sql.replace("$1", placeholder), params)
    # Rollups built on the old tables are rebuilt from the new ones in this same transaction:
    # readers see old tables + old rollups until the commit, then new tables + new rollups.
    from ducky.engines.postgres.rollups import rebuild_after_load

    bar.describe("rollups")
    for query, seconds in rebuild_after_load(execute, fetch, names):
        report.rollups.append({"query": query, "seconds": round(seconds, 4)})
    _pause("pg-before-commit")  # everything written, fingerprint included; COMMIT next


def _check_dependents(
    fetch: Callable[[str], list[tuple[Any, ...]]], schema: str, names: Sequence[str]
) -> DropPlan:
    """ownership.check_dependents for the tables this load replaces and the rollup tables it
    rebuilds (their setup drops them): refuses, in one line and before anything is
    changed, when an object outside ducky's schema depends on one (a view, a foreign key, a
    function with an SQL body, a column of its row type, ...). Returns the DropPlan."""
    from ducky.engines.postgres.ownership import check_dependents

    return check_dependents(fetch, schema, [*names, *_rollup_tables_rebuilt(fetch, names)])


def _rollup_tables_rebuilt(
    fetch: Callable[[str], list[tuple[Any, ...]]], names: Sequence[str]
) -> list[str]:
    """The tables of the rollups rollups.rebuild_after_load will rebuild after this load."""
    from ducky.engines.postgres.rollups import rollup_tables
    from ducky.rollups import ROLLUP_QUERIES, SOURCES, STATE_TABLE

    if fetch(f"SELECT to_regclass('{STATE_TABLE}') IS NOT NULL")[0][0] is not True:
        return []
    built = {str(r[0]) for r in fetch(f"SELECT query FROM {STATE_TABLE}")}
    out: list[str] = []
    for q in ROLLUP_QUERIES:
        if q in built and set(SOURCES[q]) & set(names):
            out += [t for t in rollup_tables(q) if t not in out]
    return out


def _load_adbc(
    target: str,
    names: Sequence[str],
    files: dict[str, list[Path]],
    fp: dict[str, Any],
    report: LoadReport,
    bar: _Progress,
    schema: str,
) -> None:
    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow as pa

    from ducky.engines.postgres import ownership

    with adbc.connect(target) as conn:  # autocommit off: everything below is one transaction
        cur = conn.cursor()
        try:
            cur.execute(SYNC_COMMIT)

            def fetch(sql: str) -> list[tuple[Any, ...]]:
                cur.execute(sql)
                return list(cur.fetchall())

            ownership.ensure_schema(fetch, cur.execute, schema)
            _check_dependents(fetch, schema, names)  # refuse before streaming any data
            for t in names:
                bar.describe(t)
                t0 = time.perf_counter()
                stage = STAGING_PREFIX + t
                cur.execute(f'DROP TABLE IF EXISTS "{stage}"')
                canon = _canonical(t, files[t])  # VARCHAR ids when the shop's ids are strings
                cur.execute(table_ddl(canon, DDL_TYPES, f'"{stage}"'))
                for stmt in stored_columns_sql(t, f'"{stage}"'):  # empty table: no rewrite
                    cur.execute(stmt)
                failure: list[BaseException] = []
                reader = pa.RecordBatchReader.from_batches(
                    arrow_schema(canon), _remember(_batches(t, files[t], bar.advance), failure)
                )
                try:
                    rows = cur.adbc_ingest(stage, reader, mode="append", db_schema_name=schema)
                except Exception:
                    # The driver reports a failing stream as its own error; the reader's
                    # error (an unreadable file) is the one that explains it.
                    if failure:
                        raise failure[0] from None
                    raise
                report.tables.append(TableLoad(t, int(rows), time.perf_counter() - t0))
            _finish_load(cur.execute, fetch, names, fp, bar, report)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            cur.close()


def _load_csv(
    target: str,
    names: Sequence[str],
    files: dict[str, list[Path]],
    fp: dict[str, Any],
    report: LoadReport,
    bar: _Progress,
    schema: str,
) -> None:
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    opts = pcsv.WriteOptions(include_header=False, batch_size=BATCH_ROWS)

    def encode(batch: Any) -> bytes:
        buf = io.BytesIO()
        pcsv.write_csv(pa.Table.from_batches([batch]), buf, opts)
        return buf.getvalue()

    for t in names:
        if any(c.type.startswith("list") for c in TABLES[t].columns):
            raise UserError(f"the csv load method cannot carry the list column of {t}: use adbc")
    _load_copy(target, names, files, fp, report, bar, schema, "csv", encode, b"", b"")


def _load_binary(
    target: str,
    names: Sequence[str],
    files: dict[str, list[Path]],
    fp: dict[str, Any],
    report: LoadReport,
    bar: _Progress,
    schema: str,
) -> None:
    from ducky.engines.postgres.binary_copy import HEADER, TRAILER, encode_batch

    _load_copy(
        target, names, files, fp, report, bar, schema, "binary", encode_batch, HEADER, TRAILER
    )


def _load_copy(
    target: str,
    names: Sequence[str],
    files: dict[str, list[Path]],
    fp: dict[str, Any],
    report: LoadReport,
    bar: _Progress,
    schema: str,
    fmt: str,
    encode: Callable[[Any], Any],
    header: bytes,
    trailer: bytes,
) -> None:
    """psycopg 3 `COPY ... (FORMAT fmt, FREEZE)` of encoded batches, one transaction."""
    import psycopg
    from psycopg.copy import QueuedLibpqWriter

    from ducky.engines.postgres.ownership import ensure_schema_psycopg

    with psycopg.connect(target, connect_timeout=10) as conn:  # one transaction until commit
        conn.execute(SYNC_COMMIT)
        # one load per schema at a time (held until commit): two `ducky load` at once would
        # otherwise race on CREATE SCHEMA and on the same staging tables
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("ducky-load:" + schema,))
        ensure_schema_psycopg(conn, schema)
        # refuse before streaming any data
        _check_dependents(lambda sql: conn.execute(sql).fetchall(), schema, names)
        for t in names:
            bar.describe(t)
            t0 = time.perf_counter()
            stage = STAGING_PREFIX + t
            conn.execute(f'DROP TABLE IF EXISTS "{stage}"')
            conn.execute(table_ddl(_canonical(t, files[t]), DDL_TYPES, f'"{stage}"'))
            # Added to the empty table (no rewrite); the COPY names its columns, so the
            # server computes the stored ones per row (the write cost: docs/OPTIMIZATION.md).
            for stmt in stored_columns_sql(t, f'"{stage}"'):
                conn.execute(stmt)
            rows = 0
            present = present_columns(t, files[t])
            cols = ", ".join(f'"{c}"' for c in present)
            sql = f'COPY "{stage}" ({cols}) FROM STDIN (FORMAT {fmt}, FREEZE)'
            cur = conn.cursor()
            # A queued writer sends from a thread, so encoding the next batch overlaps the
            # server parsing the previous one (a plain write blocks until the socket drains).
            with cur.copy(sql, writer=QueuedLibpqWriter(cur)) as cp:
                if header:
                    cp.write(header)
                for batch in _batches(t, files[t], bar.advance, present):
                    cp.write(encode(batch))
                    rows += batch.num_rows
                    _pause("pg-copy")  # a COPY in progress on the server
                if trailer:
                    cp.write(trailer)
            report.tables.append(TableLoad(t, rows, time.perf_counter() - t0))
        _finish_load(
            conn.execute,
            lambda sql: conn.execute(sql).fetchall(),
            names,
            fp,
            bar,
            report,
            placeholder="%s",
        )
        conn.commit()
    _pause("pg-committed")


def stored_fingerprint(target: str, schema: str | None = None) -> dict[str, Any] | None:
    """The fingerprint of the data last loaded into `target`, or None."""
    import json

    import psycopg

    from ducky.engines.postgres.ownership import ensure_schema_psycopg, schema_name

    try:
        with psycopg.connect(target, connect_timeout=10, autocommit=True) as c:
            if not ensure_schema_psycopg(c, schema_name(schema), create=False):
                return None
            if c.execute("SELECT to_regclass(%s)", (META_TABLE,)).fetchone() == (None,):
                return None
            row = c.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'").fetchone()
    except psycopg.Error as e:
        raise _wrap(e, target) from e
    if row is None:
        return None
    try:
        value = json.loads(row[0])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
