"""Engine discovery through the `ducky.engines` entry-point group."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from ducky.errors import EngineUnavailable, UserError

if TYPE_CHECKING:
    from ducky.datasets import DataDir
    from ducky.engines.base import Engine
    from ducky.schema import Table

GROUP = "ducky.engines"
DEFAULT_ENGINE = "duckdb"  # the one default of every command's -e (issue 18)


@dataclass
class EngineInfo:
    name: str
    target: str  # "module:Class" from the entry point
    distribution: str | None
    available: bool
    reason: str | None  # why it is unavailable
    description: str = ""


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def engine_names() -> list[str]:
    return sorted(_entry_points())


def engine_class(name: str) -> type[Engine]:
    eps = _entry_points()
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise UserError(f"unknown engine {name!r}: installed engines are {known}")
    try:
        cls = eps[name].load()
    except Exception as e:  # a broken third-party engine must not take the CLI down
        raise EngineUnavailable(f"engine {name!r} failed to load: {e}") from e
    return cls


def available_engines() -> list[EngineInfo]:
    """Every registered engine, with whether it can run here and why not."""
    out = []
    for name, ep in sorted(_entry_points().items()):
        dist = ep.dist.name if ep.dist is not None else None
        try:
            cls = ep.load()
            reason = cls.unavailable_reason()
            desc = getattr(cls, "description", "")
        except Exception as e:
            reason, desc = f"failed to load: {e}", ""
        out.append(EngineInfo(name, ep.value, dist, reason is None, reason, desc))
    return out


def engine_that_runs(name: str, datadir: object) -> str:
    """The engine a command's -e NAME runs on over `datadir`, so output names what ran: a
    source read in place (--data postgresql://...) runs on its own engine when -e was left at
    the default; any other name is passed on (open_engine refuses it with the reason)."""
    in_place = getattr(datadir, "in_place_engine", None)
    if in_place and name == DEFAULT_ENGINE:
        return str(in_place)
    return name


def open_engine(name: str, datadir: DataDir, **options: Any) -> Engine:
    """Instantiate engine `name` over `datadir` (not yet connected)."""
    if getattr(datadir, "pg_source", False):  # --data postgresql://...: read in place
        from ducky.engines.postgres.source import open_source_engine

        return open_source_engine(name, datadir, **options)  # type: ignore[arg-type]
    cls = engine_class(name)
    cls.ensure_available(options)
    return cls(datadir, **options)


def engine_for_dialect(dialect: str) -> type[Engine]:
    """The registered engine class that writes `dialect` (the built-in one first)."""
    eps = _entry_points()
    builtin = [n for n, ep in eps.items() if ep.value.startswith("ducky.")]
    for n in [*builtin, *(n for n in sorted(eps) if n not in builtin)]:
        try:
            cls = eps[n].load()
        except Exception:  # a broken third-party engine is not the one asked for
            continue
        if cls.dialect == dialect:
            return cls
    raise UserError(f"no installed engine writes the {dialect!r} SQL dialect")


def create_table_sql(table: str | Table, dialect: str, name: str | None = None) -> str:
    """CREATE TABLE statement for `table` in `dialect`, by the engine that writes it."""
    return engine_for_dialect(dialect).create_table_sql(table, name)
