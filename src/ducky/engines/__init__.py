"""Query engines. Each lives in its own module and is registered through the `ducky.engines`
entry-point group, built-ins included, exactly as a third-party engine would be."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.engines.base import Engine
    from ducky.engines.registry import available_engines, engine_class, open_engine

__all__ = ["Engine", "available_engines", "engine_class", "open_engine"]

# Loaded on first use: every CLI call imports light modules of this package (postgres.dsn,
# postgres.announce), which must not pull in the engine base class and the entry-point
# registry (importlib.metadata) before a command needs them.
_LAZY = {
    "Engine": "ducky.engines.base",
    "available_engines": "ducky.engines.registry",
    "engine_class": "ducky.engines.registry",
    "open_engine": "ducky.engines.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
