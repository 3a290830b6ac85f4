"""The data-quality section, present when the data directory was built by `ducky ingest`."""

from __future__ import annotations

from ducky.report.builder import ReportContext, Section


def render_quality(ctx: ReportContext) -> Section | None:
    return None
