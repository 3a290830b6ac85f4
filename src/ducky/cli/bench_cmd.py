"""`ducky bench`: engines x query variants, timed, explained and parity-checked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ducky.cli.context import get_settings

if TYPE_CHECKING:
    from ducky.bench.results import BenchResults

WIDTH = 80  # the not-built lines fit a terminal of 80 columns


@click.command()
@click.option(
    "--engine",
    "-e",
    "engines",
    default="duckdb",
    show_default=True,
    envvar="DUCKY_ENGINE",
    help="Comma list of bench engines (duckdb, duckdb-native, postgres, spark, ...) or all "
    "(env DUCKY_ENGINE).",
)
@click.option(
    "--query",
    "-q",
    "queries",
    default="wau,revenue,cohort",
    show_default=True,
    help="Comma list of queries (wau, revenue, cohort).",
)
@click.option(
    "--variant",
    "-V",
    "variants",
    default="baseline,optimized,rollup",
    show_default=True,
    help="SQL variants (a query without one of them skips it).",
)
@click.option(
    "--repeat",
    "-n",
    default=3,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Timed runs per (engine, query, variant), after one warm-up run.",
)
@click.option(
    "--json-out",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the results JSON here (always written to <out>/latest.json).",
)
@click.option(
    "--json",
    "json_arg",
    is_flag=False,
    flag_value="-",
    default=None,
    metavar="",
    help="Print the results as JSON on stdout (same as `ducky --json bench`). "
    "`--json FILE`, the old spelling of --json-out, still works.",
)
@click.option(
    "--out-dir",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder for latest.json, chart.png and plans/ (default: <data>/bench).",
)
# the old name, hidden: `--out` is a file elsewhere (cohort, report), a folder is --out-dir
@click.option("--out", "out_legacy", type=click.Path(file_okay=False, path_type=Path), hidden=True)
@click.option(
    "--sql-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Extra variant files (<query>/<variant>[.<dialect>|.setup...].sql) tried first.",
)
@click.option(
    "--allow-ddl",
    is_flag=True,
    help="postgresql:// --data: build the optimized variants' indexes on the shop's tables "
    "(CREATE INDEX CONCURRENTLY), dropped again afterwards.",
)
@click.option(
    "--keep-optimizations",
    is_flag=True,
    help="With --allow-ddl: keep the indexes built (they are listed).",
)
@click.option(
    "--dsn",
    default=None,
    help="PostgreSQL DSN for -e postgres (env DUCKY_PG_DSN; default: the local server).",
)
def bench(
    engines: str,
    queries: str,
    variants: str,
    repeat: int,
    json_path: Path | None,
    json_arg: str | None,
    out_dir: Path | None,
    out_legacy: Path | None,
    sql_dir: Path | None,
    allow_ddl: bool,
    keep_optimizations: bool,
    dsn: str | None,
) -> None:
    """Time every engine and query variant, save plans, check parity, chart the results."""
    import os

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ducky import sql as canonical_sql
    from ducky.bench.results import write_json
    from ducky.bench.runner import (
        BenchPlan,
        ParityError,
        known_variants,
        pairs_for,
        parity_failures,
        parity_message,
        resolve_engines,
        run_bench,
        split_list,
    )
    from ducky.bench.table import print_results
    from ducky.cli.output import dumps

    settings = get_settings()
    if dsn:  # the postgres engine reads DUCKY_PG_DSN when no dsn option is given (one spelling)
        os.environ["DUCKY_PG_DSN"] = dsn
    if json_arg == "-":
        settings.json = True
    elif json_arg is not None:  # the old `--json FILE`
        json_path = json_path or Path(json_arg)
    if settings.source:  # an existing database: consent flags, no rollup tables by default
        from ducky.engines.postgres.source import ENV_ALLOW_DDL, ENV_KEEP

        if keep_optimizations and not allow_ddl:
            from ducky.errors import UserError

            raise UserError("--keep-optimizations needs --allow-ddl")
        if allow_ddl:
            os.environ[ENV_ALLOW_DDL] = "1"
        if keep_optimizations:
            os.environ[ENV_KEEP] = "1"
        if variants == "baseline,optimized,rollup":
            variants = "baseline,optimized"
        from ducky.engines.registry import DEFAULT_ENGINE, engine_that_runs

        if engines in ("all", DEFAULT_ENGINE):  # the default: the engine the source runs on
            engines = engine_that_runs(DEFAULT_ENGINE, settings.datadir)
    qs = split_list(queries, canonical_sql.QUERIES, "query")
    all_variants = sorted({v for q in qs for v in known_variants(q, sql_dir)})
    vs = split_list(variants, all_variants, "variant")
    chosen, skipped = resolve_engines(engines)
    plan = BenchPlan(chosen, qs, vs, repeat=repeat, sql_dir=sql_dir)
    out = out_dir or out_legacy or settings.data / "bench"
    console_err = not settings.json
    for s in skipped:
        click.echo(f"skipping engine {s}", err=True)

    total = len(chosen) * len(pairs_for(plan)) + 1
    err_console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]bench[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,  # on stdout it left a blank first line in the table
        transient=True,
        # not on a pipe or a file either: there it leaves only a blank line before any error
        disable=not console_err or not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("starting", total=total)
        state = {"first": True}

        def step(msg: str) -> None:
            if not state["first"]:
                bar.advance(task)
            state["first"] = False
            bar.update(task, description=msg)

        results = run_bench(settings.datadir, plan, out, progress=step)
    for line in not_built_lines(results):  # latest.json says why too (`skipped`)
        click.echo(line, err=True)
    doc = results.to_dict()
    if json_path is not None:
        write_json(json_path, doc)
    if settings.json:
        click.echo(dumps(doc))
    else:
        print_results(results)
    if parity_failures(results):
        raise ParityError(parity_message(results, json_path or out / "latest.json"))


def not_built_lines(results: BenchResults) -> list[str]:
    """One line per variant's index that a PostgreSQL source did not build, with why (the
    stage's `not_built`: a column the mapping converts, no privilege on the shop's table...),
    e.g. `ducky: cohort/optimized: not built (event_time: timestamptz read as timestamp)`;
    cut to WIDTH columns (the whole reason is in latest.json). Indexes that only wait for
    --allow-ddl, and proposals, are printed with their DDL when the engine closes."""
    lines = []
    for r in results.records:
        for s in r.stages:
            why = s.detail.get("not_built") if s.stage == "index" else None
            if why:
                line = f"ducky: {r.query}/{r.variant}: not built ({why})"
                lines.append(line if len(line) <= WIDTH else line[: WIDTH - 1] + "…")
    return list(dict.fromkeys(lines))
