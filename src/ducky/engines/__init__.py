"""Query engines. Each lives in its own module and is registered through the `ducky.engines`
entry-point group, built-ins included, exactly as a third-party engine would be."""

from __future__ import annotations

from ducky.engines.base import Engine
from ducky.engines.registry import available_engines, engine_class, open_engine

__all__ = ["Engine", "available_engines", "engine_class", "open_engine"]
