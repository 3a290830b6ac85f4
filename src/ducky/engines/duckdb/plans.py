"""DuckDB's query plans: `EXPLAIN (ANALYZE, FORMAT json)` (operator timings are exclusive) plus
the boxed text of `EXPLAIN ANALYZE`, parsed into the bench's bottleneck summary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ducky.engines.plans import Operator, PlanSummary
from ducky.engines.plans import mb as _mb

_SKIP_DUCKDB = {"RESULT_COLLECTOR", "EXPLAIN_ANALYZE", "QUERY"}


def _duckdb_label(op: dict[str, Any]) -> str:
    kind = str(op.get("type") or op.get("operator_type") or op.get("name") or "?").strip()
    info = op.get("extra_info") or {}
    table = info.get("Table") if isinstance(info, dict) else None
    if not table and isinstance(info, dict) and info.get("Function"):
        kind = str(info["Function"])  # e.g. READ_PARQUET: name the data set it read
        files = info.get("Filename(s)") or info.get("Files")
        table = _dataset_name(str(files)) if files else None
    return f"{kind} on {str(table).split('.')[-1]}" if table else kind


def _dataset_name(files: str) -> str:
    """`/data/events/month=*/*.parquet` -> events; `/data/users.parquet` -> users."""
    parts = Path(files.split(",")[0].strip("[]' ")).parts
    for i, part in enumerate(parts):
        if part.startswith("month=") and i > 0:
            return parts[i - 1]
    return Path(parts[-1]).name.split(".")[0] if parts else files


def parse_duckdb_json(doc: dict[str, Any] | list[Any]) -> PlanSummary:
    """Summary of DuckDB's JSON profile (EXPLAIN (ANALYZE, FORMAT json))."""
    root = doc[0] if isinstance(doc, list) else doc
    out = PlanSummary()
    query = root.get("query") or {}
    total = query.get("total_time", root.get("latency"))
    out.total_s = float(total) if total is not None else None

    def walk(op: dict[str, Any]) -> None:
        kind = str(op.get("type") or op.get("operator_type") or "")
        timing = op.get("timing", op.get("operator_timing"))
        if kind and kind not in _SKIP_DUCKDB and timing is not None:
            rows = op.get("intermediate_rows", op.get("operator_cardinality"))
            out.operators.append(Operator(_duckdb_label(op), float(timing), rows))
        for child in op.get("children") or []:
            walk(child)

    for op in root.get("operator") or root.get("children") or []:
        walk(op)
    system = root.get("system") or {}
    temp = system.get("peak_temp_dir_size") or 0
    if temp:
        out.flags.append(f"spilled to disk: {_mb(float(temp))} temp")
    return out


_BOX_HEADER = re.compile(r"╭─+ ?([A-Za-z_][A-Za-z_ ]*?) ?─")
_BOX_TIMING = re.compile(r"([\d,]+) rows\s+([\d.]+)\s*(µs|us|ms|s)\b")
_UNIT = {"µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def parse_duckdb_text(text: str) -> PlanSummary:
    """Summary of DuckDB's boxed EXPLAIN ANALYZE text (boxes may sit side by side)."""
    out = PlanSummary()
    m = re.search(r"Total Time:\s*([\d.]+)\s*(µs|us|ms|s)", text)
    if m:
        out.total_s = float(m.group(1)) * _UNIT[m.group(2)]
    open_boxes: list[tuple[int, str]] = []  # (column, operator) of the boxes in this row
    for line in text.splitlines():
        headers = [(h.start(), h.group(1).strip()) for h in _BOX_HEADER.finditer(line)]
        if headers:
            open_boxes = [(c, name) for c, name in headers if name != "Summary"]
        for t in _BOX_TIMING.finditer(line):
            owner = [name for c, name in open_boxes if c <= t.start()]
            if not owner:
                continue
            seconds = float(t.group(2)) * _UNIT[t.group(3)]
            out.operators.append(Operator(owner[-1], seconds, int(t.group(1).replace(",", ""))))
    return out
