"""Built-in report sections. Each returns a Section, or a 'not run' Section naming the command."""

from __future__ import annotations

import json
from typing import Any

from ducky.report import html as h
from ducky.report.context import ReportContext, Section


def dataset(ctx: ReportContext) -> Section:
    m = ctx.manifest()
    producer = m.producer.get("name", "?")
    params = m.producer.get("parameters", {})
    kpis = "".join(
        f'<div class="kpi">{h.esc(t)}<b>{m.rows(t):,}</b></div>'
        for t in ("users", "products", "events", "search_logs")
        if t in m.tables
    )
    rows = [(k, json.dumps(v) if isinstance(v, dict | list) else v) for k, v in params.items()]
    first, last = m.date_range.get("first_event"), m.date_range.get("last_event")
    body = (
        f'<div class="kpis">{kpis}</div>'
        f"<p>Produced by <code>{h.esc(producer)}</code>; events from "
        f"{h.esc(first)} to {h.esc(last)} (UTC).</p>"
        + (h.table(["parameter", "value"], rows) if rows else "")
    )
    return Section("dataset", "Dataset", body, order=10)


def metrics(ctx: ReportContext) -> Section:
    from ducky.metrics import definition
    from ducky.queries import run_query
    from ducky.report.charts import wau_chart

    wau = run_query(ctx.datadir, "wau", ctx.engine).to_pydict()
    rev = run_query(ctx.datadir, "revenue", ctx.engine).to_pylist()
    png = wau_chart(wau["week_start"], wau["active_users"], wau["complete"])
    # Revenue is never summed across currencies (METRICS.md): a share is within its currency.
    total: dict[str, Any] = {}
    for r in rev:
        total[r["currency"]] = total.get(r["currency"], 0) + r["revenue"]
    rev_rows = [
        (
            r["category"],
            r["currency"],
            f"{r['revenue']:,.2f}",
            f"{100 * r['revenue'] / total[r['currency']]:.1f} %" if total[r["currency"]] else "",
            f"{r['purchases']:,}",
            f"{r['orders']:,}",
            f"{r['buyers']:,}",
            f"{r['avg_order_value']:,.2f}",
        )
        for r in rev
    ]
    body = (
        "<h3>Weekly active users</h3>"
        + h.img_bytes(png, "weekly active users")
        + f'<p class="definition">{h.esc(definition("wau"))}</p>'
        + "<h3>Revenue per category</h3>"
        + h.table(
            ["category", "currency", "revenue", "share", "purchases", "orders", "buyers", "AOV"],
            rev_rows,
            {2, 3, 4, 5, 6, 7},
        )
        + f'<p class="definition">{h.esc(definition("revenue"))}</p>'
    )
    return Section("metrics", "Core metrics", body, order=20)


def business(ctx: ReportContext) -> Section:
    from ducky.report.business_section import render_business

    return render_business(ctx)


def segment_value(ctx: ReportContext) -> Section | None:
    from ducky.report.business_section import render_segment_value

    return render_segment_value(ctx)


def bench(ctx: ReportContext) -> Section:
    from ducky.report.bench_section import render_bench

    return render_bench(ctx)


def cohort(ctx: ReportContext) -> Section:
    from ducky.report.cohort_section import render_cohort

    return render_cohort(ctx)


def quality(ctx: ReportContext) -> Section | None:
    from ducky.report.quality_section import render_quality

    if ctx.is_source:
        return None  # a database read in place was not ingested: no quality summary to show

    return render_quality(ctx)


def definitions(ctx: ReportContext) -> Section:
    from ducky.metrics import DEFINITIONS

    items = "".join(
        f"<dt><b>{h.esc(k)}</b></dt><dd>{h.esc(v)}</dd>" for k, v in DEFINITIONS.items()
    )
    return Section("definitions", "Metric definitions", f"<dl>{items}</dl>", order=90)
