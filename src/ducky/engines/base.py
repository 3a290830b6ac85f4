"""The engine interface (modelled on ibis BaseBackend / sqlmesh EngineAdapter, kept small).

An engine turns the canonical SQL into rows. Driver imports stay inside the engine's methods so
`ducky --help` never imports a driver; driver errors are wrapped in ducky's own error types.
"""

from __future__ import annotations

import importlib.util
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
    def ensure_available(cls) -> None:
        reason = cls.unavailable_reason()
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
        """Run the optimization steps a variant needs (indexes, rollups). Default: none."""
        return []

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
