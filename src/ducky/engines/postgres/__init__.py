"""The PostgreSQL engine and everything it knows: the engine (`engine.py`), the local server
(`server.py`), DSN handling (`dsn.py`), the loader (`loader.py`, `binary_copy.py`), the
maintained rollups (`rollups.py`, `maintenance.py`) and its SQL dialect (`dialect.py`)."""

from __future__ import annotations

from ducky.engines.postgres.engine import PostgresEngine

__all__ = ["PostgresEngine"]
