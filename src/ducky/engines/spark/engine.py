"""Apache Spark engine: the canonical metrics on a distributed engine (local mode by default).

Spark is slow to start (a JVM, ~4-10 s), so the process keeps ONE SparkContext and every
engine instance gets its own `newSession()` of it: separate temp views and SQL settings,
shared executors. Asking for a different master or a different static setting (driver memory,
UI...) restarts the shared context; `stop_spark()` (also run at exit) stops it.

Masters: `local[*]` by default, `local[N]`, `spark://host:7077` (standalone), `yarn`,
`k8s://...` (classic pyspark, needs Java here), or a Spark Connect URL `sc://host:15002`
(needs `pyspark[connect]`, no local Java; `ducky spark connect-server start` runs one here,
see connect.py). Settings come from, lowest precedence first:
the local-mode defaults below, DUCKY_SPARK_MASTER / DUCKY_SPARK_CONF ("k=v,k=v"), and the
engine options (`-o master=... -o conf.spark.sql.shuffle.partitions=8 -o driver_memory=4g`).

Timestamps: the data's naive timestamps mean UTC. The session time zone is pinned to UTC and
Parquet TIMESTAMP (not adjusted to UTC) is read as TIMESTAMP_NTZ, so nothing is shifted.

Month pruning: a query with a date range (revenue --from/--to) reads `events` through a view
over only the month=YYYY-MM folders overlapping the range (`PartitionFilters` in the plan), so
Spark never lists or opens the other months' files. See `month_span` and `render`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ducky.engines.base import Engine
from ducky.engines.spark.runtime import (
    APP_NAME,
    CONNECT_MODULES,
    PINNED_CONF,
    _importable,
    _local_defaults,
    _parse_conf_env,
    java_problem,
)
from ducky.errors import ConnectionFailed, EngineError, EngineUnavailable, UserError
from ducky.schema import PRICE_PRECISION, PRICE_SCALE, TABLES
from ducky.sql import DEFAULT_VARIANT

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from ducky.datasets import DataDir

# Engine options other than `conf.<spark key>`.
OPTIONS = ("master", "driver_memory", "threads", "app_name", "data_url", "prune_months")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


# -- the shared SparkContext -----------------------------------------------------------------
@dataclass
class _Root:
    master: str
    conf: dict[str, str]
    session: SparkSession


_ROOT: _Root | None = None


LOG4J2 = (
    "rootLogger.level = error\n"
    # Same level as the root logger, so pyspark's "Setting default log level" notice is not
    # printed either.
    "logger.repl.name = org.apache.spark.repl.Main\n"
    "logger.repl.level = error\n"
    "rootLogger.appenderRef.stderr.ref = console\n"
    "appender.console.type = Console\n"
    "appender.console.name = console\n"
    "appender.console.target = SYSTEM_ERR\n"
    "appender.console.layout.type = PatternLayout\n"
    "appender.console.layout.pattern = spark %p %c{1}: %m%n\n"
)


def _quiet_log4j() -> Path:
    """A log4j2 config that keeps Spark's INFO/WARN chatter off the CLI's stderr (one file per
    user in the temp directory, rewritten only when missing or different)."""
    path = Path(tempfile.gettempdir()) / f"ducky-spark-log4j2-{os.getuid()}.properties"
    try:
        current = path.read_text() if path.is_file() else None
    except OSError:
        current = None
    if current != LOG4J2:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(LOG4J2)
        tmp.replace(path)  # atomic: a concurrent JVM never reads half a file
    return path


def _static_conf_matches(root: _Root, conf: dict[str, str]) -> bool:
    """True when `conf` asks nothing of the running context that only a restart could give."""
    session = root.session
    for k, v in conf.items():
        if session.conf.isModifiable(k):
            continue  # SQL settings are applied per engine session
        if root.conf.get(k) != v:
            return False
    return True


def shared_session(master: str, conf: dict[str, str]) -> SparkSession:
    """The process's SparkSession for `master`, (re)started when static settings differ."""
    global _ROOT
    from pyspark.sql import SparkSession

    if _ROOT is not None:
        alive = _ROOT.session.sparkContext._jsc is not None
        if alive and _ROOT.master == master and _static_conf_matches(_ROOT, conf):
            return _ROOT.session
        stop_spark()
    builder = SparkSession.builder.master(master).appName(conf.get("spark.app.name", APP_NAME))
    java_opts = conf.get("spark.driver.extraJavaOptions", "")
    if "log4j2.configurationFile" not in java_opts:
        java_opts = f"{java_opts} -Dlog4j2.configurationFile=file:{_quiet_log4j()}".strip()
    for k, v in {**conf, "spark.driver.extraJavaOptions": java_opts}.items():
        builder = builder.config(k, v)
    # Spark warns that the hostname resolves to loopback unless told which address to use.
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from ducky.engines.spark.runtime import quiet_jvm_stderr

    # The JVM's start-up lines ("Using incubator modules", "use sc.setLogLevel") go to a log
    # file unless DUCKY_DEBUG/--debug (issue 18: no library noise on the CLI's stderr).
    with api_mode(connect=False), quiet_jvm_stderr():
        session = builder.getOrCreate()
    _ROOT = _Root(master, dict(conf), session)
    return session


# pyspark marks the whole process as "Spark Connect" once a Connect session is created
# (os.environ["SPARK_CONNECT_MODE_ENABLED"]); from then on a classic reader asking for its
# active session goes down the Connect path and fails ([SESSION_ALREADY_EXIST]). ducky keeps
# both kinds of engine in one process (the tests, a bench over two masters), so every engine
# call runs with the mark set for a Connect engine and lifted for a classic one.
_CONNECT_MARK = "SPARK_CONNECT_MODE_ENABLED"


@contextlib.contextmanager
def api_mode(connect: bool) -> Iterator[None]:
    """Run the block as pyspark's Connect or classic mode; the mark is restored after."""
    before = os.environ.get(_CONNECT_MARK)
    if connect:
        os.environ[_CONNECT_MARK] = "1"
    else:
        os.environ.pop(_CONNECT_MARK, None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_CONNECT_MARK, None)
        else:
            os.environ[_CONNECT_MARK] = before


def stop_spark() -> None:
    """Stop the shared SparkContext (and its JVM's work); safe to call more than once."""
    global _ROOT
    root, _ROOT = _ROOT, None
    if root is not None:
        with contextlib.suppress(Exception), api_mode(connect=False):  # never raise at exit
            root.session.stop()


atexit.register(stop_spark)


def _java_cause(e: BaseException) -> str | None:
    """The innermost Java cause of a Py4JJavaError: the outer ones ("Exception thrown in
    awaitResult", "Job aborted due to stage failure") only wrap what actually failed."""
    cause = getattr(e, "java_exception", None)
    text = None
    try:
        for _ in range(32):  # cause chains are short; a cycle must not hang error reporting
            if cause is None:
                break
            text = str(cause.toString())
            cause = cause.getCause()
    except Exception:  # a JVM already gone cannot be asked
        return text
    return text


def _first_line(e: BaseException) -> str:
    text = (_java_cause(e) or str(e)).strip()
    # A Py4JJavaError starts "An error occurred while calling o179.getResult." and only the
    # next line (": org.apache.spark.SparkException: [FAILED_READ_FILE...] ...") says what.
    lines = [ln.strip().lstrip(": ") for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith("An error occurred while calling"):
        lines = lines[1:]
    line = lines[0] if lines else type(e).__name__
    return line if len(line) <= 400 else line[:397] + "..."


# -- the engine ------------------------------------------------------------------------------
class SparkEngine(Engine):
    """Apache Spark (pyspark) over the Parquet data directory: local mode or a cluster."""

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    requires: ClassVar[tuple[str, ...]] = ("pyspark",)
    extra: ClassVar[str | None] = "spark"
    description: ClassVar[str] = "Apache Spark over Parquet: local[*] or a cluster (-o master=URL)"
    ddl_types: ClassVar[dict[str, str]] = {
        "int64": "BIGINT",
        "int32": "INT",
        "string": "STRING",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "decimal": f"DECIMAL({PRICE_PRECISION},{PRICE_SCALE})",
        "list<int64>": "ARRAY<BIGINT>",
        "list<string>": "ARRAY<STRING>",
    }
    ddl_quote: ClassVar[str] = "`"
    ddl_not_null: ClassVar[bool] = False  # Spark tables over files do not enforce NOT NULL

    def __init__(self, datadir: DataDir, **options: Any) -> None:
        conf_opts = {k[5:]: str(v) for k, v in options.items() if k.startswith("conf.")}
        plain = {k: v for k, v in options.items() if not k.startswith("conf.")}
        unknown = sorted(set(plain) - set(OPTIONS))
        if unknown:
            raise UserError(
                f"spark engine takes no option(s) {', '.join(unknown)}: use "
                f"{', '.join(OPTIONS)} or conf.<spark setting>"
            )
        super().__init__(datadir, **options)
        threads = str(plain.get("threads") or "")
        if threads and not (threads.isdigit() and int(threads) > 0):
            raise UserError(f"spark option threads must be a positive integer, not {threads!r}")
        default_master = f"local[{int(threads)}]" if threads else "local[*]"
        self.master: str = str(
            plain.get("master") or os.environ.get("DUCKY_SPARK_MASTER") or default_master
        )
        conf = {
            **_local_defaults(self.master),
            **_parse_conf_env(os.environ.get("DUCKY_SPARK_CONF", "")),
        }
        conf.update(conf_opts)
        if plain.get("driver_memory"):
            conf["spark.driver.memory"] = str(plain["driver_memory"])
        if plain.get("app_name"):
            conf["spark.app.name"] = str(plain["app_name"])
        for k, v in PINNED_CONF.items():
            if conf.get(k, v).lower() != v.lower():
                raise UserError(f"spark engine needs {k}={v} (the metric contract), not {conf[k]}")
            conf[k] = v
        self.conf = conf
        # Where Spark reads the tables: the data directory itself, or the same layout at a URL
        # a cluster can read (hdfs://, s3a://) while ducky validates the local copy.
        self.data_url = str(plain.get("data_url") or self.datadir.path.resolve()).rstrip("/")
        prune = str(plain.get("prune_months", "true")).lower()
        if prune not in _TRUE + _FALSE:
            raise UserError(f"spark option prune_months must be true or false, not {prune!r}")
        # Off only to measure what the pruning saves (benchmarks/spark.py).
        self.prune_months = prune in _TRUE
        self._session: SparkSession | None = None
        self._views: list[str] = []
        self._cached: list[str] = []  # rollups built by setup files (cached temp views)

    @property
    def is_connect(self) -> bool:
        return self.master.startswith("sc://")

    @classmethod
    def unavailable_reason(cls) -> str | None:
        reason = super().unavailable_reason()
        if reason:
            return reason
        # Spark Connect runs the JVM on the server; only classic pyspark needs Java here.
        if os.environ.get("DUCKY_SPARK_MASTER", "").startswith("sc://"):
            return None
        return java_problem()

    @classmethod
    def unavailable_reason_for(cls, options: dict[str, Any]) -> str | None:
        if str(options.get("master") or "").startswith("sc://"):
            return super().unavailable_reason()  # Python packages only: no local JVM needed
        return cls.unavailable_reason()

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def session(self) -> SparkSession:
        if self._session is None:
            self.connect()
        assert self._session is not None
        return self._session

    def connect(self) -> None:
        if self._session is not None:
            return
        self._session = self.timed("connect", self._open)

    def _open(self) -> SparkSession:
        with api_mode(self.is_connect):
            return self._open_session()

    def _open_session(self) -> SparkSession:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        try:
            if self.is_connect:
                return self._open_connect()
            problem = java_problem()
            if problem:
                raise EngineUnavailable(f"engine 'spark' is not available: {problem}")
            root = shared_session(self.master, self.conf)
            session = root.newSession()
            for k, v in self.conf.items():
                if root.conf.isModifiable(k):
                    session.conf.set(k, v)
            return session
        except (PySparkException, Py4JError, OSError) as e:
            raise EngineError(
                f"spark: could not start a session on {self.master}: {_first_line(e)}"
            ) from e

    def _open_connect(self) -> SparkSession:
        # Checked before any pyspark.sql.connect import: that import checks the same modules
        # itself and, in some embeddings (python -c), exits the process instead of raising.
        missing = [m for m in CONNECT_MODULES if not _importable(m)]
        if missing:
            raise EngineUnavailable(
                f"engine 'spark' cannot reach {self.master}: Spark Connect needs "
                f"pip install 'pyspark[connect]' (missing {', '.join(missing)})"
            )
        from pyspark.sql import SparkSession

        from ducky.engines.spark.connect import check_reachable

        # pyspark's client retries an unreachable server for minutes: probe it first.
        check_reachable(self.master)
        # Its own server-side session: views never collide with another client's.
        session = SparkSession.builder.remote(self.master).create()
        try:
            for k, v in self.conf.items():
                if session.conf.isModifiable(k):
                    session.conf.set(k, v)
                elif session.conf.get(k, None) != v:
                    raise UserError(
                        f"{k} is a static setting of the Spark Connect server at {self.master}; "
                        "set it when starting the server "
                        "(`ducky spark connect-server start --conf KEY=VALUE`)"
                    )
        except BaseException:
            with contextlib.suppress(Exception):
                session.stop()
            raise
        return session

    def close(self) -> None:
        """Drop this engine's views and cached rollups; the shared SparkContext stays up."""
        if self._session is None:
            return
        session, self._session = self._session, None
        try:
            with api_mode(self.is_connect):
                self._release(session)
        except Exception:  # a dead JVM at close time has nothing left to release
            pass
        self._views = []
        self._cached = []

    def _release(self, session: SparkSession) -> None:
        for name in self._cached:
            session.sql(f"UNCACHE TABLE IF EXISTS `{name}`")
        for view in [*self._views, *self._cached]:
            session.catalog.dropTempView(view)
        if self.is_connect:
            session.stop()  # ends only this client's server-side session

    # -- data --------------------------------------------------------------------------------
    def _reader_path(self, table: str) -> str:
        t = TABLES[table]
        return f"{self.data_url}/{t.name}" if t.partitioned else f"{self.data_url}/{t.name}.parquet"

    def load(self, force: bool = False) -> None:
        """Temp views over the Parquet files, canonical columns only, under canonical names."""
        tables = [t for t in TABLES if self.datadir.has_table(t)]

        def define() -> None:
            for t in tables:
                self._define_view(t, t)

        self.timed("load", lambda: self._guard(define))

    def _define_view(self, table: str, view: str, months: tuple[str, str] | None = None) -> None:
        """`view` over `table`'s Parquet, canonical columns only; `months` (first, last) keeps
        only those month=YYYY-MM folders of a partitioned table."""
        # The canonical schema is given rather than inferred: no footer-reading job at load,
        # and timestamps are TIMESTAMP_NTZ by declaration. A directory read still discovers
        # the month=YYYY-MM partitions (declared STRING, so '2025-01' is never read as a date);
        # the view keeps the canonical columns only, so every engine sees one schema.
        t = TABLES[table]
        ids = self.datadir.id_types()  # BIGINT, or STRING when the shop's ids are strings
        ddl = spark_schema_ddl(table, ids) + (", `month` STRING" if t.partitioned else "")
        df = self.session.read.schema(ddl).parquet(self._reader_path(table))
        if months is not None:
            # A predicate on the partition column alone: Spark resolves it against the folder
            # names when it lists the files (PartitionFilters), before opening any Parquet.
            df = df.where(f"`month` >= '{months[0]}' AND `month` <= '{months[1]}'")
        df.select(*[f"`{c}`" for c in t.column_names]).createOrReplaceTempView(view)
        if view not in self._views:
            self._views.append(view)

    # -- queries -----------------------------------------------------------------------------
    def _guard(self, fn: Any, *args: Any) -> Any:
        """Run `fn`, turning Spark/Py4J failures into one-line ducky errors."""
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        try:
            with api_mode(self.is_connect):
                return fn(*args)
        except (PySparkException, Py4JError) as e:
            raise EngineError(f"spark: {_first_line(e)}") from e
        except Exception as e:
            # A Spark Connect server that went away mid-session surfaces as a raw gRPC error.
            if type(e).__module__.split(".")[0] == "grpc":
                raise ConnectionFailed(
                    f"spark: lost the Spark Connect server at {self.master}: {_first_line(e)}"
                ) from e
            raise

    def _sql(self, sql: str) -> DataFrame:
        return self._guard(self.session.sql, sql)

    @classmethod
    def sql_dialect(cls) -> Any:
        """sqlglot's Spark plus ducky's fix-ups (engines/spark/dialect.py)."""
        from ducky.engines.spark.dialect import DuckySpark

        return DuckySpark()

    def render(self, query: str, variant: str = DEFAULT_VARIANT, **params: Any) -> str:
        """The canonical SQL in Spark's dialect; with a date range, `events` is read through a
        view over only the overlapping month folders (once `load()` has defined the views)."""
        sql = super().render(query, variant, **params)
        span = month_span(params.get("date_from"), params.get("date_to"))
        if span is None or not self.prune_months or "events" not in self._views:
            return sql
        view = f"events_months_{span[0]}_{span[1]}".replace("-", "")
        retargeted = retarget_table(sql, "events", view)
        if retargeted != sql and view not in self._views:
            self._guard(self._define_view, "events", view, span)
        return retargeted

    def execute(self, sql: str) -> None:
        """Run one statement for its effect. Setup files' `CREATE TABLE x AS q` becomes
        `CACHE TABLE x AS q`: Spark would otherwise write a managed table into ./spark-warehouse
        under the current directory; a cached temp view is materialized eagerly (memory, then
        disk), lives in this engine's session only and is released by `close()`."""
        created = _CREATE_AS.match(sql)
        dropped = _DROP_TABLE.match(sql)
        if created:
            name = created.group(1).strip("`")
            self._drop_cached(name)
            self._guard(lambda: self.session.sql(f"CACHE TABLE `{name}` AS {created.group(2)}"))
            self._cached.append(name)
        elif dropped and dropped.group(1).strip("`") in self._cached:
            self._drop_cached(dropped.group(1).strip("`"))
        else:
            self._guard(lambda: self.session.sql(sql).collect())

    def _drop_cached(self, name: str) -> None:
        if name in self._cached:
            self._guard(lambda: self.session.sql(f"UNCACHE TABLE IF EXISTS `{name}`"))
            self._guard(self.session.catalog.dropTempView, name)
            self._cached.remove(name)

    def run(self, sql: str) -> pa.Table:
        df = self._sql(sql)
        return _nullable(self._guard(df.toArrow))

    def explain(self, sql: str, analyze: bool = True) -> str:
        """`EXPLAIN FORMATTED` text; with `analyze`, the plan Spark actually executed (the
        final adaptive plan after running the query)."""
        if not analyze:
            rows = self._guard(lambda: self._sql(f"EXPLAIN FORMATTED {sql}").collect())
            return "\n".join(str(r[0]) for r in rows)
        df = self._sql(sql)
        self._guard(df.toArrow)
        if self.is_connect:
            # Connect re-plans on the server; the formatted plan is what it has to give.
            return str(self._guard(df._explain_string, None, "formatted"))
        jvm = self.session.sparkContext._jvm
        assert jvm is not None
        qe = df._jdf.queryExecution()
        return str(self._guard(jvm.PythonSQLUtils.explainString, qe, "formatted"))


_CREATE_AS = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w`]+)\s+AS\s+(.+)$",
    re.IGNORECASE | re.DOTALL,
)
_DROP_TABLE = re.compile(r"^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w`]+)\s*$", re.IGNORECASE)


# Partition values are YYYY-MM strings, which order as the months do; these bound an open end.
_FIRST_MONTH, _LAST_MONTH = "0000-00", "9999-99"


def month_span(date_from: Any, date_to: Any) -> tuple[str, str] | None:
    """(first, last) month=YYYY-MM folders that can hold events in [date_from, date_to), or
    None when the range is unbounded on both sides.

    Relies on the data directory's layout contract: an event lies in the folder of its UTC
    month (the generator, the ingest merge and DatasetWriter all partition that way). The
    query keeps its own timestamp filter, so pruning only skips folders, never rows.
    """
    import datetime as dt

    def instant(value: Any) -> dt.datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        return dt.datetime.fromisoformat(str(value))

    lo, hi = instant(date_from), instant(date_to)
    if lo is None and hi is None:
        return None
    first = lo.strftime("%Y-%m") if lo is not None else _FIRST_MONTH
    # [from, to) is half-open: the last instant in range decides the last month.
    last = (hi - dt.timedelta(microseconds=1)).strftime("%Y-%m") if hi is not None else _LAST_MONTH
    return first, last


def retarget_table(sql: str, table: str, view: str) -> str:
    """`sql` (Spark dialect) with every reference to the table `table` read from `view`."""
    import sqlglot
    from sqlglot import exp

    trees = [t for t in sqlglot.parse(sql, read="spark") if t is not None]
    # A CTE of that name would shadow the table: leave such SQL alone.
    if any(cte.alias_or_name == table for t in trees for cte in t.find_all(exp.CTE)):
        return sql
    hits = 0

    def fix(node: exp.Expression) -> exp.Expression:
        nonlocal hits
        if isinstance(node, exp.Table) and node.name == table and not node.db:
            hits += 1
            node.set("this", exp.to_identifier(view))
        return node

    out = ";\n".join(t.transform(fix).sql(dialect="spark", pretty=True) for t in trees)
    return out if hits else sql


def spark_schema_ddl(table: str, id_types: dict[str, str] | None = None) -> str:
    """`table`'s canonical columns as a Spark DDL schema; timestamps are naive (NTZ)."""
    from ducky.schema import with_id_types

    cols = []
    for c in with_id_types(table, id_types).columns:
        kind = "TIMESTAMP_NTZ" if c.type == "timestamp" else SparkEngine.ddl_types[c.type]
        cols.append(f"`{c.name}` {kind}")
    return ", ".join(cols)


def _nullable(table: pa.Table) -> pa.Table:
    """Declare every column nullable, as DuckDB's (and Arrow's usual) results do.

    Spark marks COUNT(...) columns NOT NULL; without this the same rows would compare unequal
    across engines on schema nullability alone.
    """
    import pyarrow as pa

    schema = table.schema
    if all(f.nullable for f in schema):
        return table
    return table.cast(pa.schema([f.with_nullable(True) for f in schema], schema.metadata))
