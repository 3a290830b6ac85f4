"""Assemble the one-page report from section providers (built-in ones and plugins' hooks)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ducky.report import html as h
from ducky.report.context import ReportContext, Section

if TYPE_CHECKING:
    from ducky.datasets import DataDir
    from ducky.report.brief import Brief

__all__ = ["Provider", "ReportContext", "Section", "build_report"]


Provider = Callable[[ReportContext], Section | None]


def builtin_providers() -> list[Provider]:
    from ducky.report import sections

    return [
        sections.dataset,
        sections.business,
        sections.metrics,
        sections.bench,
        sections.cohort,
        sections.segment_value,
        sections.quality,
        sections.definitions,
    ]


def plugin_sections(ctx: ReportContext) -> list[Section]:
    """Sections contributed by plugins through the `report_sections` hook."""
    from ducky.plugins import plugin_manager

    out: list[Section] = []
    for result in plugin_manager().hook.report_sections(datadir=ctx.datadir):
        for s in result or []:
            try:
                out.append(
                    Section(
                        id=str(s.get("id", s["title"])).lower().replace(" ", "-"),
                        title=str(s["title"]),
                        html=str(s["html"]),
                        order=int(s.get("order", 60)),
                        ran=bool(s.get("ran", True)),
                    )
                )
            except (KeyError, TypeError, ValueError) as e:
                print(
                    f"warning: a plugin returned a malformed report section: {e}", file=sys.stderr
                )
    return out


def collect(ctx: ReportContext) -> list[Section]:
    sections = [s for p in builtin_providers() if (s := p(ctx)) is not None]
    sections += plugin_sections(ctx)
    return sorted(sections, key=lambda s: s.order)


def render(sections: list[Section], ctx: ReportContext, brief_html: str = "") -> str:
    body = (
        brief_html
        + '<h1 class="evidence">Evidence</h1>'
        + "".join(
            f'<section id="{h.esc(s.id)}" data-ran="{str(s.ran).lower()}">'
            f"<h2>{h.esc(s.title)}</h2>{s.html}</section>"
            for s in sections
        )
    )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    # A source is named by its description (no password), never by its local state folder.
    where = f"Source {ctx.datadir}" if ctx.is_source else f"Data directory {ctx.datadir.path}"
    subtitle = f"{where} · engine {ctx.engine} · generated {now}"
    return h.page("ducky: e-commerce analytics report", subtitle, body)


def build_report(
    datadir: DataDir,
    out: Path,
    engine: str = "duckdb",
    compute: bool = True,
    narrator: Callable[[Brief], Brief] | None = None,
) -> list[Section]:
    """Write the report to `out` atomically and return its sections (the brief first).

    `narrator`, when given, rephrases the brief's prose (see ducky.report.narrate); the
    template prose is what the report carries without one."""
    from ducky.report.brief import build_brief, kpis, render_brief

    datadir.validate()
    ctx = ReportContext(datadir, engine, compute)
    sections = collect(ctx)
    brief = build_brief(ctx)
    if narrator is not None:
        brief = narrator(brief)
    brief_html = render_brief(brief, kpis(ctx))
    sections.insert(0, Section("brief", "Strategy brief", brief_html, 0))
    text = render(sections[1:], ctx, brief_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    from ducky.atomic import _pause, recover_dir

    recover_dir(out)  # temp files of a killed earlier report
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    _pause("report-written")
    os.replace(tmp, out)
    return sections
