"""The optimization section: the latest `ducky bench` run (table, chart, bottlenecks)."""

from __future__ import annotations

import json

from ducky.report import html as h
from ducky.report.builder import ReportContext, Section


def render_bench(ctx: ReportContext) -> Section:
    folder = ctx.datadir.path / "bench"
    latest = folder / "latest.json"
    if not latest.is_file():
        return Section(
            "bench",
            "Engine and index optimization",
            h.not_run("benchmark", "ducky bench"),
            30,
            ran=False,
        )
    doc = json.loads(latest.read_text())
    records = doc["records"] if isinstance(doc, dict) else doc
    rows = [
        (
            r.get("engine"),
            r.get("query"),
            r.get("variant"),
            f"{r.get('median_s', 0):.4f}",
            f"{r.get('speedup_vs_baseline', 1):.1f}x" if r.get("speedup_vs_baseline") else "",
            "yes" if r.get("parity") else "NO",
            r.get("bottleneck") or "",
        )
        for r in records
    ]
    body = h.table(
        ["engine", "query", "variant", "median s", "vs baseline", "parity", "bottleneck"],
        rows,
        {3, 4},
    )
    chart = folder / "chart.png"
    if chart.is_file():
        body = h.img_file(chart, "benchmark chart") + body
    return Section("bench", "Engine and index optimization", body, 30)
