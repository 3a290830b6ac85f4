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
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from ducky import sql as canonical_sql
from ducky.errors import EngineUnavailable

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir


@dataclass
class StageTiming:
    """One timed stage of engine work (connect, load, index build, query, fetch...)."""

    stage: str
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)


class Engine(ABC):
    """Base class of every engine.

    Subclasses set `name` (the registry name), `dialect` (a sqlglot dialect name) and
    `requires` (importable modules it needs, checked by `unavailable_reason`), and implement
    connect/close/load/run/explain. Optional optimization steps (indexes, rollups) are variant
    setups run by `prepare`.
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str | None] = None  # the pip extra that installs `requires`
    description: ClassVar[str] = ""

    def __init__(self, datadir: DataDir, **options: Any) -> None:
        self.datadir = datadir
        self.options = options
        self.timings: list[StageTiming] = []

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
    def load(self) -> None:
        """Make the data directory's tables queryable under their canonical names."""

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
        return self.run_setup(setup_statements(query, variant, self.dialect))

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
        """Rows (tables) and bytes (where the dialect exposes them) of an object a setup built."""
        out: dict[str, Any] = {}
        try:
            if table:
                out["rows"] = int(self.run(f"SELECT COUNT(*) FROM {name}").column(0)[0].as_py())
            size_sql = _SIZE_SQL.get(self.dialect)
            if size_sql:
                value = self.run(size_sql.format(name=name.replace("'", "''"))).column(0)[0]
                if value.as_py() is not None:
                    out["bytes"] = int(value.as_py())
        except Exception as e:  # sizes are informative; a failure must not fail the setup
            out["size_error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        return out

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

    # -- canonical queries -------------------------------------------------------------------
    def render(
        self, query: str, variant: str = canonical_sql.DEFAULT_VARIANT, **params: Any
    ) -> str:
        return canonical_sql.render(query, self.dialect, variant, params)

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


# Bytes an object occupies, per dialect (tables and indexes alike); absent: rows only.
_SIZE_SQL: dict[str, str] = {
    "postgres": "SELECT pg_total_relation_size(to_regclass('{name}'))",
}


def setup_statements(query: str, variant: str, dialect: str) -> list[str]:
    """The statements of a variant's setup file for `dialect` (empty when it has none)."""
    from importlib import resources

    canonical_sql.source(query, variant, dialect)  # unknown query/variant: a clear UserError
    folder = resources.files("ducky.sql").joinpath(query)
    own = folder.joinpath(f"{variant}.setup.{dialect}.sql")
    if own.is_file():
        return split_statements(own.read_text())
    generic = folder.joinpath(f"{variant}.setup.sql")
    if not generic.is_file():
        return []
    if dialect == "duckdb":
        return split_statements(generic.read_text())
    import sqlglot

    return [
        tree.sql(dialect=dialect, comments=False)
        for tree in sqlglot.parse(generic.read_text(), read="duckdb")
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
