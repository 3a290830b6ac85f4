"""Capturing query plans for the bench and turning them into a one-line bottleneck note.

Each engine owns its plan format (`Engine.capture_plan`: DuckDB's JSON profile plus its boxed
text, PostgreSQL's `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`, any other engine's `explain()`
text saved as is). The note names the operator with the largest share of operator time and
flags spills ("Seq Scan on events: 92% of time; Sort external merge 300 MB").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ducky.engines.duckdb.plans import parse_duckdb_json, parse_duckdb_text
from ducky.engines.plans import CapturedPlan, Operator, PlanSummary
from ducky.engines.postgres.plans import parse_postgres_json

if TYPE_CHECKING:
    from ducky.engines.base import Engine

__all__ = [
    "CapturedPlan",
    "Operator",
    "PlanSummary",
    "capture",
    "parse_duckdb_json",
    "parse_duckdb_text",
    "parse_postgres_json",
]


def capture(engine: Engine, sql: str, stem: Path) -> CapturedPlan:
    """Run the engine's analyzing EXPLAIN for `sql`, save it next to `stem`, summarise it."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    try:
        return engine.capture_plan(sql, stem)
    except Exception as e:  # a plan is diagnostic: its failure is reported, not fatal
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return CapturedPlan(None, None, PlanSummary(), error=first)
