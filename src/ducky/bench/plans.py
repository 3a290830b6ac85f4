"""Capturing query plans and turning them into a one-line bottleneck note.

DuckDB: `EXPLAIN (ANALYZE, FORMAT json)` (operator timings are exclusive) plus the boxed text of
`EXPLAIN ANALYZE`; PostgreSQL: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` (node times are
inclusive and per loop, so exclusive time = total x loops - children). Other engines: their own
`explain()` text, saved as is. The note names the operator with the largest share of operator
time and flags spills ("Seq Scan on events: 92% of time; Sort external merge 300 MB").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.engines.base import Engine

MB = 1024 * 1024


@dataclass
class Operator:
    label: str
    seconds: float  # exclusive time (summed over loops / workers)
    rows: int | None = None


@dataclass
class PlanSummary:
    operators: list[Operator] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # spills, heap fetches, ...
    total_s: float | None = None  # the engine's own execution time, when it reports one

    def note(self, top: int = 1) -> str:
        parts = []
        ops = [o for o in self.operators if o.seconds > 0]
        spent = sum(o.seconds for o in ops)
        if spent > 0:
            for o in sorted(ops, key=lambda o: -o.seconds)[:top]:
                parts.append(f"{o.label}: {100 * o.seconds / spent:.0f}% of time")
        parts.extend(self.flags)
        return "; ".join(parts) if parts else "no operator timings in plan"


@dataclass
class CapturedPlan:
    path: Path | None
    text_path: Path | None
    summary: PlanSummary
    error: str | None = None

    @property
    def note(self) -> str:
        if self.error:
            return f"plan unavailable: {self.error}"
        return self.summary.note()


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / MB:,.0f} MB" if n_bytes >= MB else f"{n_bytes / 1024:,.0f} kB"


# -- DuckDB -----------------------------------------------------------------------------------
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


# -- PostgreSQL -------------------------------------------------------------------------------
def _pg_label(node: dict[str, Any]) -> str:
    label = str(node.get("Node Type", "?"))
    if node.get("Strategy") == "Hashed" and label == "Aggregate":
        label = "HashAggregate"
    elif node.get("Strategy") == "Sorted" and label == "Aggregate":
        label = "GroupAggregate"
    if node.get("Index Name"):
        label += f" using {node['Index Name']}"
    if node.get("Relation Name"):
        label += f" on {node['Relation Name']}"
    return label


def parse_postgres_json(doc: list[Any] | dict[str, Any]) -> PlanSummary:
    """Summary of `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` output."""
    root = doc[0] if isinstance(doc, list) else doc
    out = PlanSummary()
    if root.get("Execution Time") is not None:
        out.total_s = float(root["Execution Time"]) / 1000.0
    block = 8192

    def inclusive(node: dict[str, Any]) -> float:
        return float(node.get("Actual Total Time", 0.0)) * float(node.get("Actual Loops", 1) or 1)

    def walk(node: dict[str, Any]) -> None:
        children = node.get("Plans") or []
        own = inclusive(node) - sum(inclusive(c) for c in children)
        rows = int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 1) or 1)
        out.operators.append(Operator(_pg_label(node), max(own, 0.0) / 1000.0, rows))
        method = str(node.get("Sort Method", ""))
        if "external" in method or node.get("Sort Space Type") == "Disk":
            kb = float(node.get("Sort Space Used", 0))
            out.flags.append(f"Sort {method} {_mb(kb * 1024)}")
        disk_kb = float(node.get("Disk Usage", 0) or 0)
        batches = int(node.get("HashAgg Batches", 0) or 0)
        if disk_kb > 0 or batches > 1:
            out.flags.append(
                f"{_pg_label(node)} spilled to disk ({_mb(disk_kb * 1024)}, {batches} batches)"
            )
        if int(node.get("Hash Batches", 1) or 1) > 1:
            out.flags.append(f"Hash spilled into {node['Hash Batches']} batches")
        if node.get("Node Type") == "Index Only Scan" and int(node.get("Heap Fetches", 0)) > 0:
            out.flags.append(f"{_pg_label(node)}: {node['Heap Fetches']:,} heap fetches")
        launched = node.get("Workers Launched")
        if launched is not None and launched < node.get("Workers Planned", 0):
            out.flags.append(f"only {launched}/{node['Workers Planned']} parallel workers")
        for c in children:
            walk(c)

    plan = root.get("Plan")
    if plan:
        walk(plan)
        temp = int(plan.get("Temp Written Blocks", 0) or 0)
        if temp and not any("spilled" in f or "external" in f for f in out.flags):
            out.flags.append(f"temp files written: {_mb(temp * block)}")
    return out


# -- capture ----------------------------------------------------------------------------------
def _scalar(table: Any) -> Any:
    """The last column of the first row of an Arrow table (EXPLAIN output's plan cell)."""
    return table.column(table.num_columns - 1)[0].as_py()


def _as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _with(stem: Path, suffix: str) -> Path:
    # Not Path.with_suffix: stems look like `wau.baseline`, whose ".baseline" is no suffix.
    return stem.parent / (stem.name + suffix)


def capture(engine: Engine, sql: str, stem: Path) -> CapturedPlan:
    """Run the engine's analyzing EXPLAIN for `sql`, save it next to `stem`, summarise it."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    try:
        if engine.dialect == "duckdb":
            doc = _as_json(_scalar(engine.run("EXPLAIN (ANALYZE, FORMAT json) " + sql)))
            path = _with(stem, ".json")
            path.write_text(json.dumps(doc, indent=1))
            text = engine.explain(sql, analyze=True)
            text_path = _with(stem, ".txt")
            text_path.write_text(text)
            return CapturedPlan(path, text_path, parse_duckdb_json(doc))
        if engine.dialect == "postgres":
            value = _scalar(engine.run("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql))
            doc = _as_json(value)
            path = _with(stem, ".json")
            path.write_text(json.dumps(doc, indent=1))
            return CapturedPlan(path, None, parse_postgres_json(doc))
        text = engine.explain(sql, analyze=True)
        text_path = _with(stem, ".txt")
        text_path.write_text(text)
        summary = PlanSummary(flags=[f"{engine.name} plan saved (no timing breakdown parsed)"])
        return CapturedPlan(None, text_path, summary)
    except Exception as e:  # a plan is diagnostic: its failure is reported, not fatal
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return CapturedPlan(None, None, PlanSummary(), error=first)
