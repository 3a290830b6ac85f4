"""`ducky ingest`: turn CSV / JSON / Parquet files and JSON APIs into a ducky data directory.

Pipeline (one module per step): sources (read bytes, find the line of every record) -> mapping
(source column -> canonical column) -> coerce + checks (one vectorized DuckDB pass per table) ->
merge (idempotent upsert / dedup through the atomic DatasetWriter) -> quarantine (every
rejected row, with its reason) -> report (rich, JSON, HTML). `pipeline.run_ingest` ties them.
"""

from __future__ import annotations

from ducky.ingest.pipeline import IngestResult, run_ingest

__all__ = ["IngestResult", "run_ingest"]
