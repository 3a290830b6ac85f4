"""The retention section: heatmap, line chart, the cohort table, computed insights and the
definition.

Cohorts are cheap to compute, so the section always computes them fresh from this data
directory (on the report's engine) rather than trusting an older `ducky cohort` run; the
brief reads the same result through the context.
"""

from __future__ import annotations

from ducky.report import fmt
from ducky.report import html as h
from ducky.report.context import ReportContext, Section


def render_cohort(ctx: ReportContext) -> Section:
    from ducky.cohort.plots import draw_heatmap, draw_lines, png_bytes

    result = ctx.cohort()
    if result is None:
        return Section(
            "cohort", "Retention", h.not_run("cohort analysis", "ducky cohort"), 40, False
        )
    heat = png_bytes(draw_heatmap(result.matrix, result.definition, result.subtitle()))
    lines = png_bytes(draw_lines(result.matrix, result.definition, result.subtitle()))
    insights = "".join(f"<li>{h.esc(s)}</li>" for s in result.insights)
    m = result.matrix
    weeks = list(range(m.weeks + 1))
    rows = [
        (
            f"{c.month:%Y-%m}",
            fmt.count(c.size),
            *("" if c.rates[k] is None else fmt.pct(c.rates[k] or 0.0) for k in weeks),
        )
        for c in m.cohorts
    ]
    rows.append(
        (
            "avg (weighted)",
            "",
            *("" if a.rate is None else fmt.pct(a.rate) for a in m.average),
        )
    )
    table = h.table(
        ["cohort", "users", *(f"w{k}" for k in weeks)], rows, set(range(1, 3 + m.weeks))
    )
    body = (
        h.img_bytes(heat, "retention heatmap")
        + f"<ul>{insights}</ul>"
        + h.img_bytes(lines, "retention by cohort, line chart")
        + "<h3>Retention by cohort and week (blank: not yet observable)</h3>"
        + table
        + f'<p class="definition">{h.esc(result.definition)}</p>'
    )
    return Section("cohort", "Retention", body, 40)
