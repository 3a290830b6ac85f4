"""The retention section: heatmap, line chart, computed insights and the definition.

Cohorts are cheap to compute, so the section always computes them fresh from this data
directory (on the report's engine) rather than trusting an older `ducky cohort` run.
"""

from __future__ import annotations

from ducky.report import html as h
from ducky.report.builder import ReportContext, Section


def render_cohort(ctx: ReportContext) -> Section:
    from ducky.cohort import compute
    from ducky.cohort.plots import draw_heatmap, draw_lines, png_bytes

    if not ctx.compute:
        return Section(
            "cohort", "Retention", h.not_run("cohort analysis", "ducky cohort"), 40, False
        )
    result = compute(ctx.datadir, engine=ctx.engine)
    heat = png_bytes(draw_heatmap(result.matrix, result.definition, result.subtitle()))
    lines = png_bytes(draw_lines(result.matrix, result.definition, result.subtitle()))
    insights = "".join(f"<li>{h.esc(s)}</li>" for s in result.insights)
    body = (
        h.img_bytes(heat, "retention heatmap")
        + f"<ul>{insights}</ul>"
        + h.img_bytes(lines, "retention by cohort, line chart")
        + f'<p class="definition">{h.esc(result.definition)}</p>'
    )
    return Section("cohort", "Retention", body, 40)
