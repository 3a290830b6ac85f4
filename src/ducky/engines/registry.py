"""Engine discovery through the `ducky.engines` entry-point group."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
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
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=GROUP)}


# -- the registered targets, remembered ----------------------------------------------------
# Scanning every installed distribution for the group costs ~8-12 ms of each CLI call (a
# rollup answer is ~0.2 s). engine_class() reads the answer remembered in the user cache
# (<cache>/ducky/engines.json) while its stamp holds: each sys.path folder with its mtime (a
# distribution installed or removed there changes it; a new PYTHONPATH entry is another
# stamp) and the entry_points.txt files the group's entries came from (path, size, mtime).
# Any other stamp scans afresh, exactly as before.


def _registry_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ducky" / "engines.json"


def _path_stamp() -> list[list[Any]]:
    out: list[list[Any]] = []
    for entry in sys.path:
        try:
            out.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            out.append([entry, None])
    return out


def _file_stamp(files: list[str]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for f in files:
        try:
            st = os.stat(f)
            out.append([f, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([f, None, None])
    return out


def _targets() -> dict[str, str]:
    """name -> "module:attr" of every registered engine (see the block comment above)."""
    memo = _registry_file()
    try:
        doc = json.loads(memo.read_text())
        if doc["path"] == _path_stamp() and doc["files"] == _file_stamp(doc["sources"]):
            return {str(k): str(v) for k, v in doc["targets"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    eps = _entry_points()
    targets = {name: str(ep.value) for name, ep in eps.items()}
    sources = sorted(
        {str(Path(str(ep.dist._path)) / "entry_points.txt") for ep in eps.values() if _path_of(ep)}
    )
    if all(_path_of(ep) for ep in eps.values()):  # only what a stamp can vouch for
        doc = {
            "path": _path_stamp(),
            "sources": sources,
            "files": _file_stamp(sources),
            "targets": targets,
        }
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            tmp = memo.parent / f".{memo.name}.{os.getpid()}"
            tmp.write_text(json.dumps(doc))
            tmp.replace(memo)
        except OSError:  # an unwritable cache: scan again next time
            pass
    return targets


def _path_of(ep: Any) -> bool:
    """The entry point comes from a dist-info folder on disk (what the stamp can check)."""
    return isinstance(getattr(ep.dist, "_path", None), Path)


def _load_target(target: str) -> Any:
    """What EntryPoint.load() does with "module:attr.attr"."""
    import importlib

    module, _, attrs = target.partition(":")
    obj: Any = importlib.import_module(module.strip())
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


def engine_names() -> list[str]:
    return sorted(_entry_points())


def registered_names() -> list[str]:
    """The registered engines' names from the memo (no entry-point scan, no engine import)."""
    return sorted(_targets())


def engine_class(name: str) -> type[Engine]:
    targets = _targets()
    if name not in targets:
        known = ", ".join(sorted(targets)) or "none"
        raise UserError(f"unknown engine {name!r}: installed engines are {known}")
    try:
        cls: type[Engine] = _load_target(targets[name])
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
