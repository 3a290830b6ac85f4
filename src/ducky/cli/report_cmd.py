"""`ducky report`: the one-page HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from ducky.cli.options import engine_option


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output HTML file (default: <data>/report.html).",
)
@engine_option()
def report(out: Path | None, engine: str) -> None:
    """Write a self-contained one-page HTML report of this data directory's results."""
    from ducky.cli.context import get_settings
    from ducky.cli.output import dumps
    from ducky.report import build_report

    settings = get_settings()
    target = out or settings.datadir.path / "report.html"
    sections = build_report(settings.datadir, target, engine=engine)
    if settings.json:
        click.echo(
            dumps({"out": str(target), "sections": [{"id": s.id, "ran": s.ran} for s in sections]})
        )
        return
    for s in sections:
        click.echo(f"  {'✓' if s.ran else '·'} {s.title}{'' if s.ran else ' (not run)'}")
    click.echo(f"report written to {target}")
