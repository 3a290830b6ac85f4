"""The engine interface (modelled on ibis BaseBackend / sqlmesh EngineAdapter, kept small).

An engine turns the canonical SQL into rows. Driver imports stay inside the engine's methods so
`ducky --help` never imports a driver; driver errors are wrapped in ducky's own error types.
"""

from __future__ import annotations

import importlib.util
import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ducky import sql as canonical_sql
from ducky.errors import EngineUnavailable, UserError
from ducky.rollups import RollupStatus
from ducky.schema import TABLES, Table

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot.dialects.dialect import Dialect

    from ducky.datasets import DataDir
    from ducky.engines.plans import CapturedPlan


@dataclass
class StageTiming:
    """One timed stage of engine work (connect, load, index build, query, fetch...)."""

    stage: str
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)


# -- rollups: the store each rollup-keeping engine returns from `rollup_store()` -------------
# (`RollupStatus` is declared in ducky/rollups.py, below the engines, beside the tables and state
# table the stores share; the service over a store is engines/rollups.py.)
class RollupStore(Protocol):
    """Rollups of one engine: build (always in full), status, drop."""

    @property
    def engine_label(self) -> str: ...

    def status(self, query: str, detail: bool = True) -> RollupStatus: ...

    def build(self, query: str) -> list[StageTiming]: ...

    def drop(self, query: str) -> bool: ...


class Engine(ABC):
    """Base class of every engine (the extension-facing surface: a third-party engine is one
    subclass registered in the `ducky.engines` entry-point group).

    Subclasses set `name` (the registry name), `dialect` (the sqlglot dialect family its SQL is
    written in: override files are `<variant>.<dialect>.sql`) and `requires` (importable
    modules it needs, checked by `unavailable_reason`), and implement
    connect/close/load/run/explain. What differs between engines is declared here, so generic
    code asks instead of testing names:

    - `sql_dialect()`: the sqlglot `Dialect` every rendering path writes with; an engine whose
      target needs fix-ups after sqlglot's transpile puts them in that dialect's generator.
    - capabilities: `supports_rollups` (`rollup_store()`), `maintains_rollups` (kept current
      on INSERT; `rollup_insert_cost`), `supports_native_load` (`load_native`, with
      `storage_options`), `supports_plans` (`capture_plan` parses timings),
      `supports_indexes` (variant setups may build indexes).
    - `sql_roots`: folders (same layout as `ducky/sql`) searched before the packaged SQL.
    - `ddl_types`: the SQL type of each logical column type (`create_table_sql`).
    - `object_size`, `version`, `reset_settings`: what the bench reports and resets.
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None  # the pip extra that installs `requires`
    description: ClassVar[str] = ""

    # -- capabilities ------------------------------------------------------------------------
    supports_rollups: ClassVar[bool] = False  # keeps ducky's rollups: see rollup_store()
    maintains_rollups: ClassVar[bool] = False  # ...kept current on INSERT (insert triggers)
    supports_native_load: ClassVar[bool] = False  # `ducky load` copies data into its storage
    supports_plans: ClassVar[bool] = False  # capture_plan yields a timing breakdown
    supports_indexes: ClassVar[bool] = False  # CREATE INDEX in a variant setup means something
    # run() may be called from several threads at once (else callers serialise their calls)
    concurrent_queries: ClassVar[bool] = False
    # Engine options that make it keep data in its own storage (`ducky load`, `ducky rollup`).
    storage_options: ClassVar[dict[str, Any]] = {}
    # Extra SQL folders, searched before ducky's own (`<query>/<variant>[.<dialect>].sql`).
    sql_roots: ClassVar[tuple[str | Path, ...]] = ()
    # SQL type of each logical column type (ducky.schema.LOGICAL_TYPES) in CREATE TABLE.
    ddl_types: ClassVar[dict[str, str]] = {}
    ddl_quote: ClassVar[str] = '"'  # identifier quote in CREATE TABLE
    ddl_not_null: ClassVar[bool] = True  # declare NOT NULL columns

    def __init__(self, datadir: DataDir, **options: Any) -> None:
        self.datadir = datadir
        self.options = options
        self.timings: list[StageTiming] = []
        # SQL roots added to this instance (the bench's --sql-dir), before the engine's own.
        self.extra_sql_roots: list[Any] = []

    # -- availability ------------------------------------------------------------------------
    @classmethod
    def unavailable_reason(cls) -> str | None:
        """None when the engine can run here, else a one-line reason with the fix."""
        missing = [m for m in cls.requires if importlib.util.find_spec(m) is None]
        if missing:
            hint = f": pip install 'ducky[{cls.extra}]'" if cls.extra else ""
            return f"missing Python package(s) {', '.join(missing)}{hint}"
        return None

    @classmethod
    def unavailable_reason_for(cls, options: dict[str, Any]) -> str | None:
        """`unavailable_reason` knowing the engine options: some options need less (Spark
        through a Connect URL needs no local Java). Engines override this when it matters."""
        return cls.unavailable_reason()

    @classmethod
    def ensure_available(cls, options: dict[str, Any] | None = None) -> None:
        reason = cls.unavailable_reason_for(options or {})
        if reason:
            raise EngineUnavailable(f"engine {cls.name!r} is not available: {reason}")

    # -- lifecycle ---------------------------------------------------------------------------
    @abstractmethod
    def connect(self) -> None:
        """Open the connection (or session). Idempotent."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection. Idempotent."""

    @abstractmethod
    def load(self, force: bool = False) -> None:
        """Make the data directory's tables queryable under their canonical names.

        An engine that copies the data into its own storage skips the copy when that storage
        already holds this data directory as it is now (`DataDir.fingerprint`), unless `force`.
        """

    @abstractmethod
    def run(self, sql: str) -> pa.Table:
        """Run SQL in this engine's dialect and return the result as an Arrow table."""

    @abstractmethod
    def explain(self, sql: str, analyze: bool = True) -> str:
        """The engine's query plan for `sql` (executed when `analyze`)."""

    def prepare(self, query: str, variant: str) -> list[StageTiming]:
        """Run a variant's setup file (indexes, rollups, ANALYZE) and time each statement.

        The setup is `sql/<query>/<variant>.setup.<dialect>.sql` (written for this engine) or
        else `sql/<query>/<variant>.setup.sql` (DuckDB dialect, transpiled). No file: nothing to
        do. Each statement becomes one StageTiming (`index`, `rollup`, `analyze` or `setup`);
        objects the setup creates are then measured (rows, bytes where the engine can tell)
        as a `size` detail on their stage, so a rollup's build cost and size are reported.
        """
        return self.run_setup(
            setup_statements(
                query, variant, self.dialect, roots=self.search_roots(), write=self.sql_dialect()
            )
        )

    def run_setup(self, statements: list[str]) -> list[StageTiming]:
        """Execute setup statements one by one, timing each (see `prepare`)."""
        stages: list[StageTiming] = []
        for stmt in statements:
            kind, obj = classify_setup(stmt)
            t0 = time.perf_counter()
            self.execute(stmt)
            detail: dict[str, Any] = {"sql": " ".join(stmt.split())[:200]}
            if obj:
                detail["object"] = obj
            stages.append(StageTiming(kind, time.perf_counter() - t0, detail))
        for st in stages:
            obj = st.detail.get("object")
            if obj and st.stage in ("index", "rollup"):
                st.detail.update(self.object_size(obj, table=st.stage == "rollup"))
        self.timings.extend(stages)
        return stages

    def execute(self, sql: str) -> None:
        """Run one statement for its effect (DDL, ANALYZE, SET). Engines override when their
        `run` cannot take a statement without a result set."""
        self.run(sql)

    def object_size(self, name: str, table: bool = True) -> dict[str, Any]:
        """Rows (tables) of an object a setup built; engines that can tell add its `bytes`."""
        out: dict[str, Any] = {}
        try:
            if table:
                out["rows"] = int(self.run(f"SELECT COUNT(*) FROM {name}").column(0)[0].as_py())
        except Exception as e:  # sizes are informative; a failure must not fail the setup
            out["size_error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        return out

    def version(self) -> str | None:
        """The engine's own version string, for the bench's record (None: unknown)."""
        return None

    def reset_settings(self) -> None:
        """Undo session settings a variant's setup made (SET work_mem = ...): nothing here."""
        return None

    def capture_plan(self, sql: str, stem: Path) -> CapturedPlan:
        """Run the analyzing EXPLAIN of `sql`, save it next to `stem` (`<stem>.json` /
        `<stem>.txt`) and summarise it. This default saves `explain()`'s text unparsed; engines
        with `supports_plans` parse operator timings into the bottleneck note."""
        from ducky.engines.plans import CapturedPlan, PlanSummary, with_suffix

        text = self.explain(sql, analyze=True)
        text_path = with_suffix(stem, ".txt")
        text_path.write_text(text)
        summary = PlanSummary(flags=[f"{self.name} plan saved (no timing breakdown parsed)"])
        return CapturedPlan(None, text_path, summary)

    # -- storage: native load and rollups ----------------------------------------------------
    def load_native(
        self, tables: list[str] | None = None, progress: bool = False, **options: Any
    ) -> dict[str, Any]:
        """`ducky load`: copy the data directory into this engine's storage afresh and return
        the report document (engine, target, rows, seconds, rows_per_s, ...). Engines with
        `supports_native_load` implement it; they are opened with `storage_options`."""
        raise UserError(f"engine {self.name!r} has no storage of its own to load into")

    def rollup_store(self) -> RollupStore:
        """The store of ducky's maintained rollups on this (open) engine (`supports_rollups`);
        a UserError naming the fix where this engine, as configured, keeps none."""
        raise UserError(
            f"rollups are maintained on postgres and duckdb (native file), not on {self.name}; "
            f"`ducky bench -e {self.name} -V rollup` times a rollup built for the run"
        )

    def rollup_insert_cost(self, query: str, rows: int) -> dict[str, Any]:
        """What keeping `query`'s rollup current costs an INSERT of `rows` events
        (`maintains_rollups` engines): `with_trigger_s` plus details."""
        raise UserError(f"engine {self.name!r} does not maintain rollups on insert")

    @classmethod
    def engine_flags(cls) -> str:
        """The `-e ...` (and `-o ...` storage options) a user types to reach this engine's
        own storage, e.g. in a message naming the command that fixes something."""
        opts = "".join(f" -o {k}={v}" for k, v in cls.storage_options.items())
        return f"-e {cls.name}{opts}"

    # -- DDL ---------------------------------------------------------------------------------
    @classmethod
    def create_table_sql(cls, table: str | Table, name: str | None = None) -> str:
        """CREATE TABLE for a canonical table (ducky.schema) with this engine's `ddl_types`."""
        return table_ddl(table, cls.ddl_types, name, cls.ddl_quote, cls.ddl_not_null)

    def __enter__(self) -> Engine:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- SQL ---------------------------------------------------------------------------------
    @classmethod
    def sql_dialect(cls) -> Dialect:
        """The sqlglot dialect every SQL path writes for this engine (canonical queries, bench
        variants, --sql-dir files, audiences, ingest summaries). An engine whose target needs
        fixes after sqlglot's transpile returns a `Dialect` subclass whose generator applies
        them (see engines/postgres/dialect.py)."""
        from sqlglot.dialects.dialect import Dialect

        return Dialect.get_or_raise(cls.dialect)

    def search_roots(self) -> list[Any]:
        """SQL roots searched before ducky's own: roots added to this instance (the bench's
        --sql-dir), then the engine's `sql_roots`."""
        return [*self.extra_sql_roots, *type(self).sql_roots]

    @classmethod
    def render_sql(
        cls,
        query: str,
        variant: str = canonical_sql.DEFAULT_VARIANT,
        params: dict[str, Any] | None = None,
        roots: tuple[Any, ...] | list[Any] = (),
    ) -> str:
        """A catalog query as this engine runs it, from the first SQL root that has it."""
        return canonical_sql.render(
            query,
            cls.dialect,
            variant,
            params,
            write_factory=cls.sql_dialect,
            writer_key=cls._writer_key(),
            roots=[*roots, *cls.sql_roots],
        )

    @classmethod
    def _writer_key(cls) -> str:
        """What the rendered-SQL cache knows this engine's fix-ups by: the class, and the
        modification times of its package's files (an edited fix-up renders afresh)."""
        import os
        import sys

        mod = sys.modules.get(cls.__module__)
        folder = os.path.dirname(getattr(mod, "__file__", "") or "")
        stamps = []
        if folder:
            with os.scandir(folder) as it:
                stamps = sorted(f"{e.name}:{e.stat().st_mtime_ns}" for e in it if e.is_file())
        return f"{cls.__module__}.{cls.__qualname__}|{'|'.join(stamps)}"

    def render(
        self, query: str, variant: str = canonical_sql.DEFAULT_VARIANT, **params: Any
    ) -> str:
        return self.render_sql(query, variant, params, roots=self.extra_sql_roots)

    def transpile(self, text: str, params: dict[str, Any] | None = None) -> str:
        """Canonical (DuckDB-dialect) SQL text as this engine runs it, parameters bound."""
        return canonical_sql.transpile(text, "duckdb", self.sql_dialect(), params)

    def query(
        self, query: str, variant: str = canonical_sql.DEFAULT_VARIANT, **params: Any
    ) -> pa.Table:
        """Run a canonical query and return its rows (columns as in METRICS.md)."""
        return self.run(self.render(query, variant, **params))

    def timed(self, stage: str, fn: Any, *args: Any, **detail: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args)
        self.timings.append(StageTiming(stage, time.perf_counter() - t0, dict(detail)))
        return out


def setup_statements(
    query: str,
    variant: str,
    dialect: str,
    roots: tuple[Any, ...] | list[Any] = (),
    write: Any = None,
) -> list[str]:
    """The statements of a variant's setup file for `dialect` (empty when it has none): the
    dialect's own file verbatim, else the canonical one transpiled (written with `write`, an
    engine's sqlglot dialect, default `dialect`)."""
    from ducky.sql.catalog import setup_source

    found = setup_source(query, variant, dialect, roots)
    if found is None:
        return []
    text, written_in = found
    if written_in == dialect:
        return split_statements(text)
    import sqlglot

    return [
        tree.sql(dialect=write or dialect, comments=False)
        for tree in sqlglot.parse(text, read=written_in)
        if tree is not None
    ]


def split_statements(text: str) -> list[str]:
    """Split a setup file into statements: a statement ends with `;` at the end of a line
    (outside a $$-quoted body), so PostgreSQL DO blocks and functions stay whole."""
    out: list[str] = []
    current: list[str] = []
    in_dollar = False
    for line in text.splitlines():
        code = line.split("--", 1)[0] if not in_dollar else line
        if not current and not code.strip():
            continue
        current.append(line)
        if code.count("$$") % 2 == 1:
            in_dollar = not in_dollar
        if not in_dollar and code.rstrip().endswith(";"):
            stmt = "\n".join(current).strip().rstrip(";").strip()
            if stmt:
                out.append(stmt)
            current = []
    tail = "\n".join(current).strip().rstrip(";").strip()
    if tail and any(ln.split("--", 1)[0].strip() for ln in current):
        out.append(tail)
    return out


_CREATE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?"
    r"(INDEX|TABLE|MATERIALIZED\s+VIEW)\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r"([\w.\"]+)",
    re.IGNORECASE,
)


def classify_setup(stmt: str) -> tuple[str, str | None]:
    """(stage kind, created object or None) of one setup statement."""
    code = "\n".join(ln.split("--", 1)[0] for ln in stmt.splitlines()).strip()
    m = _CREATE.match(code)
    if m:
        kind = "index" if m.group(1).upper() == "INDEX" else "rollup"
        return kind, m.group(2)
    head = code.split(None, 1)[0].upper() if code else ""
    if head in ("ANALYZE", "VACUUM", "CLUSTER"):
        return "analyze", None
    return "setup", None


def table_ddl(
    table: str | Table,
    types: dict[str, str],
    name: str | None = None,
    quote: str = '"',
    not_null: bool = True,
) -> str:
    """CREATE TABLE for a canonical table (ducky.schema) with the DDL `types` of one engine.
    A function beside `Engine.create_table_sql` so an engine's loader can write DDL without
    importing its engine class (which imports the loader)."""
    t = TABLES[table] if isinstance(table, str) else table
    cols = []
    for c in t.columns:
        null = " NOT NULL" if not_null and not c.nullable else ""
        cols.append(f"{quote}{c.name}{quote} {types[c.type]}{null}")
    return f"CREATE TABLE {name or t.name} (" + ", ".join(cols) + ")"
