"""The quality report of an ingest: rich tables, a JSON document, and an HTML fragment.

`section_html(datadir)` reads the summary the last successful ingest stored in the manifest, so
the HTML report can include it without re-running anything.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ducky.plugins import hookimpl

if TYPE_CHECKING:
    from ducky.datasets import DataDir
    from ducky.ingest.pipeline import IngestResult

ACCOUNT_COLUMNS = ("table", "rows_in", "loaded", "quarantined", "duplicates", "held_back")
METRICS = ("completeness", "validity", "uniqueness", "referential_integrity")


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def print_report(result: IngestResult) -> None:
    """Accounting, quality per table and per-check counts as rich tables on stdout."""
    from rich.console import Console
    from rich.table import Table

    from ducky.tables import show_rich_table

    # through ducky.tables: an 80-column terminal splits or stacks the checks table instead of
    # cutting check names and details to "produc…"; a pipe or file gets every value in full
    console = Console()
    acc = Table(title="ingest accounting (rows in = loaded + quarantined + duplicates + held back)")
    for c in ACCOUNT_COLUMNS:
        acc.add_column(c, justify="left" if c == "table" else "right")
    for a in result.accounts:
        d = a.to_dict()
        acc.add_row(*[str(d[c]) if c == "table" else f"{d[c]:,}" for c in ACCOUNT_COLUMNS])
    show_rich_table(acc)

    q = Table(title="quality")
    q.add_column("table")
    for m in METRICS:
        q.add_column(m.replace("_", " "), justify="right")
    for name, vals in result.metrics.items():
        q.add_row(name, *[_pct(vals[k]) for k in METRICS])
    show_rich_table(q)

    chk = Table(title="checks (failures > 0 or tripped)")
    for c in ("table", "check", "severity", "failed", "pass rate", "threshold", "status", "detail"):
        chk.add_column(c, justify="right" if c in ("failed", "pass rate", "threshold") else "left")
    style = {"ok": "green", "warn": "yellow", "fail": "bold red"}
    for r in result.checks:
        if r.failed == 0:
            continue
        chk.add_row(
            r.table,
            r.check,
            r.severity,
            f"{r.failed:,}",
            _pct(r.pass_rate),
            _pct(r.threshold),
            f"[{style[r.status]}]{r.status}[/]",
            r.detail,
        )
    show_rich_table(chk, keys=2, wrap=("detail",))
    if result.custom_events:
        # The explanation is a note under the table, not its title: a two-column table is
        # narrow, and a long title wrapped into five lines ending in a lone ")" at 80 columns.
        ev = Table(title="custom event names")
        ev.add_column("event_type")
        ev.add_column("rows", justify="right")
        for name, n in result.custom_events.items():
            ev.add_row(name, f"{n:,}")
        show_rich_table(
            ev,
            notes=[
                "kept as they are: they count as activity (WAU, retention, --event NAME), not "
                "as views, carts or purchases; an `event_types:` line in the mapping maps one"
            ],
        )
    where = ", ".join(result.quarantine_files) or "none"
    state = "merged" if result.merged else ("unchanged" if not result.tripped else "NOT merged")
    console.print(f"[dim]{result.datadir}: {state}; quarantine: {where}[/dim]")


def to_json(result: IngestResult) -> dict[str, Any]:
    return result.to_dict()


def html_fragment(summary: dict[str, Any], wrap: bool = True) -> str:
    """An HTML <section> (no <html>/<head>) from `IngestResult.to_dict()` or the manifest;
    with `wrap=False` only its tables, for pages that supply their own section and heading."""
    rows = []
    for a in summary.get("accounting", []):
        cells = "".join(f"<td>{html.escape(str(a.get(c, '')))}</td>" for c in ACCOUNT_COLUMNS)
        rows.append(f"<tr>{cells}</tr>")
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in ACCOUNT_COLUMNS)
    qrows = []
    for t, m in summary.get("quality", {}).items():
        cells = "".join(f"<td>{_pct(m.get(k))}</td>" for k in METRICS)
        qrows.append(f"<tr><td>{html.escape(t)}</td>{cells}</tr>")
    qhead = "<th>table</th>" + "".join(f"<th>{m.replace('_', ' ')}</th>" for m in METRICS)
    crows = []
    for c in summary.get("checks", []):
        if not c.get("failed"):
            continue
        crows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(c.get(k, '')))}</td>"
                for k in ("table", "check", "severity", "failed", "status", "detail")
            )
            + "</tr>"
        )
    chead = "".join(
        f"<th>{k}</th>" for k in ("table", "check", "severity", "failed", "status", "detail")
    )
    tables = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>\n"
        f"<table><thead><tr>{qhead}</tr></thead><tbody>{''.join(qrows)}</tbody></table>\n"
        f"<table><thead><tr>{chead}</tr></thead><tbody>{''.join(crows)}</tbody></table>\n"
    )
    if not wrap:
        return tables
    return (
        '<section class="ducky-ingest-quality">\n<h2>Ingest data quality</h2>\n'
        + tables
        + "</section>\n"
    )


def section_html(datadir: DataDir, wrap: bool = True) -> str | None:
    """The quality section of the last ingest into `datadir`, or None if it was not ingested."""
    m = datadir.manifest()
    summary = m.extra.get("ingest")
    return html_fragment(summary, wrap) if isinstance(summary, dict) else None


@hookimpl
def report_sections(datadir: Any) -> list[dict[str, Any]]:
    """`report_sections` hook shape: the ingest quality section when the directory has one.

    Registering this module under the `ducky.plugins` entry-point group (or calling this from
    `ducky report`) puts the section in the HTML report.
    """
    from ducky.datasets import DataDir

    d = datadir if isinstance(datadir, DataDir) else DataDir(datadir)
    fragment = section_html(d)
    if fragment is None:
        return []
    return [{"title": "Ingest data quality", "html": fragment, "order": 80}]
