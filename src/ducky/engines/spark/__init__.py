"""The Apache Spark engine: the engine (`engine.py`), its runtime facts (`runtime.py`: Java,
pinned settings), the local Spark Connect server (`connect.py`) and its SQL dialect
(`dialect.py`)."""

from __future__ import annotations

from ducky.engines.spark.engine import SparkEngine, month_span, retarget_table, stop_spark
from ducky.engines.spark.runtime import (
    CONNECT_MODULES,
    _importable,
    java_problem,
    parse_java_version,
)

__all__ = [
    "CONNECT_MODULES",
    "SparkEngine",
    "_importable",
    "java_problem",
    "month_span",
    "parse_java_version",
    "retarget_table",
    "stop_spark",
]
