"""The PostgreSQL engine and everything it knows: the engine (`engine.py`), the local server
(`server.py`), DSN handling (`dsn.py`), the loader (`loader.py`, `binary_copy.py`), the
maintained rollups (`rollups.py`, `maintenance.py`) and its SQL dialect (`dialect.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.engines.postgres.engine import PostgresEngine

__all__ = ["PostgresEngine"]


def __getattr__(name: str) -> Any:
    # The engine module is loaded on first use: every CLI call imports `dsn` and `announce`
    # from this package (light, no driver), and a DuckDB query never needs the engine itself.
    if name == "PostgresEngine":
        from ducky.engines.postgres.engine import PostgresEngine

        globals()[name] = PostgresEngine
        return PostgresEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
