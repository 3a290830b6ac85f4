"""`ducky report`: the HTML report (a one-page strategy brief, then the evidence), or a PDF."""

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
@click.option(
    "--pdf",
    "pdf",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FILE]",
    help="Also print the report to PDF with headless Chromium (default file: the HTML's name "
    "with .pdf).",
)
@click.option(
    "--narrate",
    type=click.Choice(["none", "hf"]),
    default="none",
    show_default=True,
    help="Rephrase the brief's prose with a language model (hf: Hugging Face Inference API, "
    "token in HF_TOKEN); numbers not in the results are dropped.",
)
@click.option(
    "--narrate-model",
    default=None,
    metavar="MODEL",
    help="Chat model for --narrate hf (env DUCKY_NARRATE_MODEL; default "
    "meta-llama/Llama-3.1-8B-Instruct).",
)
@engine_option()
def report(
    out: Path | None, pdf: str | None, narrate: str, narrate_model: str | None, engine: str
) -> None:
    """Write a self-contained HTML report: a one-page strategy brief, then the evidence."""
    from ducky.cli.context import get_settings
    from ducky.cli.output import dumps
    from ducky.report import build_report

    settings = get_settings()
    target = out or settings.datadir.path / "report.html"
    pdf_path = None
    if pdf is not None:
        from ducky.errors import UserError
        from ducky.report.pdf import HINT, find_chromium

        if find_chromium() is None:  # before the work, not after it
            raise UserError(HINT)
        pdf_path = Path(pdf) if pdf else target.with_suffix(".pdf")
    narrator = None
    if narrate == "hf":
        from ducky.report.narrate import hf_narrator

        narrator = hf_narrator(narrate_model)
    sections = build_report(settings.datadir, target, engine=engine, narrator=narrator)
    if pdf_path is not None:
        from ducky.report.pdf import html_to_pdf

        html_to_pdf(target, pdf_path)
    if settings.json:
        doc = {"out": str(target), "sections": [{"id": s.id, "ran": s.ran} for s in sections]}
        if pdf_path is not None:
            doc["pdf"] = str(pdf_path)
        click.echo(dumps(doc))
        return
    for s in sections:
        click.echo(f"  {'✓' if s.ran else '·'} {s.title}{'' if s.ran else ' (not run)'}")
    click.echo(f"report written to {target}")
    if pdf_path is not None:
        click.echo(f"PDF written to {pdf_path}")
