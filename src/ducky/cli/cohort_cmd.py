"""`ducky cohort`: monthly signup cohorts, weekly retention, as a table, heatmap and lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ducky.cli.context import get_settings
from ducky.cli.options import engine_option, engine_options, format_option

if TYPE_CHECKING:
    from ducky.cohort import CohortResult

INCOMPLETE = "·"  # a censored cell: unknown, never 0 %


def _check_output(path: Path | None, option: str, suffix: str | None) -> None:
    """Refuse a bad output path before any work is done (nothing half-written afterwards)."""
    from ducky.errors import UserError

    if path is None:
        return
    if suffix and path.suffix.lower() != suffix:
        raise UserError(f"{option}: {str(path)!r} must end in {suffix}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{option}: directory {str(parent)!r} does not exist")
    if path.is_dir():
        raise UserError(f"{option}: {str(path)!r} is a directory")


def _pct(rate: float | None) -> str:
    return INCOMPLETE if rate is None else f"{100 * rate:.1f} %"


def print_matrix(result: CohortResult) -> None:
    from rich.console import Console

    from ducky.tables import Column, Grid, print_grid

    m = result.matrix
    # Trailing weeks no cohort has completed yet are all "·": on 80 columns they filled a
    # table part of their own. The screen stops at the last week with a number and says so;
    # --format csv/json (and --csv) keep every week.
    last = max(
        [k for c in m.cohorts for k, r in enumerate(c.rates) if r is not None]
        + [k for k, a in enumerate(m.average) if a.rate is not None]
        + [0]
    )
    hidden = (
        [f"w{last + 1}" + (f"..w{m.weeks}" if m.weeks > last + 1 else "") + ": no cohort is "
         "complete there yet (not shown; --format csv or json lists every week)"]
        if last < m.weeks else []
    )  # fmt: skip
    grid = Grid(
        [
            Column("cohort", key=True),
            Column("size", justify="right", key=True),
            *[Column(f"w{k}", justify="right") for k in range(last + 1)],
        ],
        title=f"Cohort retention by week since signup {result.subtitle()}",
        notes=[
            f"{INCOMPLETE} = not yet observable for the whole cohort (censored), never 0 %. "
            "avg = sum(retained) / sum(cohort_size) over complete cells only.",
            *hidden,
            result.definition,
        ],
    )
    for c in m.cohorts:
        grid.add_row(f"{c.month:%Y-%m}", f"{c.size:,}", *[_pct(r) for r in c.rates[: last + 1]])
    # a rule sets the average row apart
    grid.add_row(
        "avg (weighted)",
        "",
        *[_pct(a.rate) for a in m.average[: last + 1]],
        style="bold",
        rule_above=True,
    )
    print_grid(grid)
    console = Console()
    for sentence in result.insights:
        if console.is_terminal:  # wrapped to the window, continuation lines indented
            console.print(f"• {sentence}", markup=False, highlight=False)
        else:  # piped: one line per insight, as the notes above (a file has no width)
            click.echo(f"• {sentence}")


def _write_csv_atomic(result: CohortResult, path: Path) -> None:
    import csv

    from ducky.atomic import atomic_open
    from ducky.tabular import jsonable

    with atomic_open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(result.tidy.column_names)
        for row in result.tidy.to_pylist():
            w.writerow(["" if v is None else jsonable(v) for v in row.values()])


@click.command()
@engine_option()
@click.option(
    "--polars", is_flag=True, help="Compute with the independent Polars path instead of SQL."
)
@click.option(
    "--weeks",
    default=8,
    show_default=True,
    type=click.IntRange(0, 52),
    help="Last week shown (weeks 0..N).",
)
@click.option(
    "--event",
    "event_type",
    default="any",
    show_default=True,
    help="Event type that counts as a return: any, viewed, add-to-cart, purchased, login, "
    "or a shop's own event name.",
)
@click.option(
    "--from",
    "date_from",
    default=None,
    metavar="YYYY-MM",
    help="First signup month shown (both ends inclusive, whole months).",
)
@click.option(
    "--to",
    "date_to",
    default=None,
    metavar="YYYY-MM",
    help="Last signup month shown (both ends inclusive, whole months).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the heatmap PNG here.",
)
@click.option(
    "--lines",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the line chart PNG here.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the tidy table as CSV here.",
)
@engine_options
@format_option()
def cohort(
    engine: str,
    polars: bool,
    weeks: int,
    event_type: str,
    date_from: str | None,
    date_to: str | None,
    out: Path | None,
    lines: Path | None,
    csv_path: Path | None,
    engine_opts: tuple[str, ...],
    fmt: str | None,
) -> None:
    """Cohort retention: monthly signup cohorts x weeks since signup, table + heatmap + lines."""
    from rich.console import Console

    from ducky.cohort import POLARS, compute
    from ducky.engines.registry import engine_that_runs
    from ducky.queries import parse_engine_options

    settings = get_settings()
    _check_output(out, "--out", ".png")
    _check_output(lines, "--lines", ".png")
    _check_output(csv_path, "--csv", None)
    err = Console(stderr=True)
    with err.status("computing cohorts…"):
        if not polars:  # a postgresql:// source runs in place: name what ran
            engine = engine_that_runs(engine, settings.datadir)
        result = compute(
            settings.datadir,
            engine=POLARS if polars else engine,
            weeks=weeks,
            event_type=event_type,
            date_from=date_from,
            date_to=date_to,
            engine_options=parse_engine_options(engine_opts),
        )
    written: list[Path] = []
    if out or lines:
        from ducky.cohort.plots import write_heatmap, write_lines

        with err.status("drawing…"):
            if out:
                written.append(
                    write_heatmap(result.matrix, out, result.definition, result.subtitle())
                )
            if lines:
                written.append(
                    write_lines(result.matrix, lines, result.definition, result.subtitle())
                )
    if csv_path:
        _write_csv_atomic(result, csv_path)
        written.append(csv_path)

    fmt = fmt or ("json" if settings.json else "table")
    if fmt == "json":
        from ducky.cli.output import dumps

        doc = result.to_json()
        # The source, a directory or the URL without its password (as audience and query).
        doc["source"] = _source(settings.datadir)
        doc["files"] = [str(p) for p in written]
        sys.stdout.write(dumps(doc) + "\n")
    elif fmt == "csv":
        from ducky.cli.output import emit

        emit(result.tidy, "csv")
    else:
        print_matrix(result)
    for p in written:
        err.print(f"[dim]wrote {p}[/dim]")


def _source(datadir: object) -> str:
    """A directory's path, or a postgresql:// URL with its password redacted (as audience)."""
    return str(getattr(datadir, "description", None) or getattr(datadir, "path", datadir))
