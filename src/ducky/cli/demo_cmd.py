"""`ducky demo`: the main job end to end on the embedded defaults.

Each step is the real CLI command a user would type (same parsing, same code path), run in
order against one data directory: generate, bench (DuckDB over Parquet, DuckDB native, and the
local PostgreSQL when its extra is installed), cohort, segmentation with the local model (pushing
segments to the local OpenSearch-compatible server when `osmem-server` is installed), report.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from ducky.cli.context import get_settings


@dataclass
class Step:
    name: str
    args: list[str]
    seconds: float = 0.0
    status: str = "pending"


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@contextmanager
def _local_search_server() -> Iterator[str | None]:
    """Start the in-memory OpenSearch-compatible server if it is installed; yield its URL."""
    if not _has("osmem_server"):
        yield None
        return
    import socket

    from osmem_server import OsmemServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = OsmemServer.start(japanese=False, addr=f"127.0.0.1:{port}")
    # Every server ducky starts is announced with how it stops: this one lives as long as the
    # demo (Ctrl-C included: the finally below ends it), so there is nothing to stop by hand.
    pid = server.process.pid
    print(
        f"ducky: started a local search server (osmem-server, {server.url}, pid {pid}); "
        "it stops when the demo ends",
        file=sys.stderr,
    )
    try:
        yield server.url
    finally:
        server.close()
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        print(f"ducky: stopped the local search server ({server.url})", file=sys.stderr)


def _run(args: list[str]) -> None:
    from ducky.cli.main import cli

    cli.main(args=args, prog_name="ducky", standalone_mode=False)


@click.command()
@click.option(
    "--months",
    default=12,
    show_default=True,
    type=click.IntRange(1, 120),
    help="Months of activity to generate.",
)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Data size relative to `ducky gen`'s default (1.5M events).",
)
@click.option("--fresh", is_flag=True, help="Regenerate the data even if the directory exists.")
@click.option(
    "--repeat",
    default=3,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Bench runs per query and variant.",
)
@click.option("--no-postgres", is_flag=True, help="Skip the local PostgreSQL server.")
@click.option("--no-segment", is_flag=True, help="Skip segmentation.")
def demo(
    months: int, scale: float, fresh: bool, repeat: int, no_postgres: bool, no_segment: bool
) -> None:
    """Run the main job end to end: gen, bench, cohort, segment, report."""
    from rich.console import Console
    from rich.table import Table

    from ducky.datasets import DataDir
    from ducky.engines import available_engines
    from ducky.errors import DataDirError
    from ducky.tables import show_rich_table

    settings = get_settings()
    data = settings.data
    console = Console(stderr=True)
    root = ["--data", str(data)]
    try:
        DataDir(data).validate(deep=False)
        have_data = True
    except DataDirError:
        have_data = False

    engines = ["duckdb", "duckdb-native"]
    usable = {i.name for i in available_engines() if i.available}
    with_pg = not no_postgres and "postgres" in usable
    if with_pg:
        engines.append("postgres")
    steps: list[Step] = []
    if fresh or not have_data:
        steps.append(
            Step(
                "generate data",
                [*root, "gen", "--months", str(months), "--scale", str(scale), "--force"],
            )
        )
    steps.append(
        Step(
            "bench " + ", ".join(engines),
            [*root, "bench", "--engine", ",".join(engines), "--repeat", str(repeat)],
        )
    )
    cohort_dir = Path(data) / "cohort"
    steps.append(
        Step(
            "cohort retention",
            [
                *root,
                "cohort",
                "--out",
                str(cohort_dir / "heatmap.png"),
                "--lines",
                str(cohort_dir / "lines.png"),
                "--csv",
                str(cohort_dir / "retention.csv"),
            ],
        )
    )
    with_segment = (
        not no_segment and _has("ducky.plugins.segment") and _has("sentence_transformers")
    )

    started = time.perf_counter()
    with _local_search_server() if with_segment else _nullcontext() as es_url:
        if with_segment:
            seg = [
                *root,
                "segment",
                "--source",
                "parquet",
                "--embedder",
                "local",
                "--plot",
                str(Path(data) / "segments" / "projection.png"),
            ]
            if es_url:
                seg += ["--push-es", "--es-url", es_url]
            steps.append(
                Step(
                    "segmentation (local model"
                    + (", push to local search server)" if es_url else ")"),
                    seg,
                )
            )
        steps.append(Step("report", [*root, "report"]))
        try:
            for step in steps:
                console.rule(f"[bold]{step.name}")
                if step.args[2] in ("cohort", "segment"):
                    (Path(data) / step.args[2].replace("segment", "segments")).mkdir(
                        parents=True, exist_ok=True
                    )
                t0 = time.perf_counter()
                step.status = "running"
                _run(step.args)
                step.seconds = time.perf_counter() - t0
                step.status = "done"
        finally:
            if with_pg:
                # The demo started the local server on demand; leave no process behind.
                _run([*root, "pg", "stop"])

    t = Table(title=f"ducky demo: {data}")
    t.add_column("step")
    t.add_column("status")
    t.add_column("seconds", justify="right")
    for s in steps:
        t.add_row(s.name, s.status, f"{s.seconds:.1f}")
    show_rich_table(t)
    if no_postgres or not with_pg:
        reason = (
            "--no-postgres" if no_postgres else "engine unavailable (pip install 'ducky[postgres]')"
        )
        console.print(f"PostgreSQL skipped: {reason}")
    console.print(
        f"total {time.perf_counter() - started:.1f} s; report: {Path(data) / 'report.html'}"
    )


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield None
