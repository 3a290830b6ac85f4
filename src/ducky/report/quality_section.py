"""The data-quality section, present when the data directory was built by `ducky ingest`."""

from __future__ import annotations

from ducky.report.context import ReportContext, Section


def render_quality(ctx: ReportContext) -> Section | None:
    from ducky.ingest.report import section_html

    tables = section_html(ctx.datadir, wrap=False)
    if tables is None:
        return None  # not ingested: generated data has no quality report to show
    return Section("quality", "Ingest data quality", tables, 80)
