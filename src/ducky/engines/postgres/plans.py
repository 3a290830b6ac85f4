"""PostgreSQL's query plans: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` (node times are inclusive
and per loop, so exclusive time = total x loops - children), parsed into the bench's summary."""

from __future__ import annotations

from typing import Any

from ducky.engines.plans import Operator, PlanSummary
from ducky.engines.plans import mb as _mb


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
