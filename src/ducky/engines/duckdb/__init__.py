"""The DuckDB engine: the engine over Parquet or a native file (`engine.py`) and the rollups kept
in that native file (`rollups.py`)."""

from __future__ import annotations

from ducky.engines.duckdb.engine import MODES, DuckDBEngine

__all__ = ["MODES", "DuckDBEngine"]
