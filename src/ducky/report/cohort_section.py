"""The retention section: heatmap, insights and the definition."""

from __future__ import annotations

from ducky.report import html as h
from ducky.report.builder import ReportContext, Section


def render_cohort(ctx: ReportContext) -> Section:
    return Section(
        "cohort", "Retention", h.not_run("cohort analysis", "ducky cohort"), 40, ran=False
    )
