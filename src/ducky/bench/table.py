"""The on-screen bench summary (a rich table)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ducky.bench.results import format_seconds as _secs  # one format for table and notes

if TYPE_CHECKING:
    from ducky.bench.results import BenchResults
    from ducky.tables import Grid


def print_results(results: BenchResults) -> None:
    from rich.console import Console

    from ducky.tables import Column, Grid, print_grid

    # Names are the keys repeated when the table is split; numbers keep their unit ("1.03 s",
    # "148.0 ms") and are never cut; only the bottleneck note may fold.
    runs = "run" if results.repeat == 1 else "runs"
    grid = Grid(
        [
            Column("engine", key=True),
            Column("query", key=True),
            Column("variant", key=True),
            *[
                Column(n, justify="right")
                for n in ("median", "min–max", "setup", "vs base", "vs fastest", "rows")
            ],
            Column("parity"),
            Column("bottleneck", wrap=True),
        ],
        title=f"ducky bench ({results.repeat} {runs} each, after a warm-up)",
    )
    for r in results.records:
        vs_base = f"{r.speedup_vs_baseline:.1f}x" if r.speedup_vs_baseline else ""
        slower = 1 / r.speedup_vs_fastest if r.speedup_vs_fastest else 0.0
        grid.add_row(
            r.engine,
            r.query,
            r.variant,
            _secs(r.median_s),
            f"{_secs(r.min_s)}–{_secs(r.max_s)}",
            _secs(r.setup_s) if r.setup_s else "",
            vs_base,
            "fastest" if slower <= 1.0001 else f"{slower:.1f}x slower",
            f"{r.rows:,}",
            ("ok", "green") if r.parity else ("MISMATCH", "red"),
            r.bottleneck,
        )
    # Every variant that does not beat its baseline, said under the table with why.
    grid.notes.extend(str(n["line"]) for n in results.no_gain)
    print_grid(grid)
    if results.comparisons:
        print_grid(comparison_table(results))
    if results.chart_path:
        # One path per line, never folded by rich: a path cut at the console's edge cannot be
        # copied back whole (the terminal still wraps it visually).
        for label, path in (("chart", results.chart_path), ("plans", results.plans_dir)):
            if path:
                Console().print(f"{label}: {path}", style="dim", markup=False, soft_wrap=True)


def _size(n: int | None) -> str:
    return f"{n / 1e6:,.1f} MB" if n is not None else ""


def _rate(x: float | None) -> str:
    return f"{x:,.0f}/s" if x else ""


def _timed(row: dict[str, Any], name: str) -> str:
    if f"{name}_s" not in row:
        return ""
    speed = row.get(f"{name}_speedup")
    if not speed:
        return _secs(row[f"{name}_s"])
    # "(1x)" hid both a 1.4x gain and a 0.6x loss; one decimal below 10x says which.
    return _secs(row[f"{name}_s"]) + (f" ({speed:.1f}x)" if speed < 10 else f" ({speed:,.0f}x)")


def comparison_table(results: BenchResults) -> Grid:
    """Baseline vs indexes/rewrites vs maintained rollup per engine and query, with costs."""
    from ducky.tables import Column, Grid

    cols = [
        "baseline", "optimized", "idx build", "idx size", "rollup",
        "build", "size", "inserts/s: no trigger → trigger",
    ]  # fmt: skip
    grid = Grid(
        [
            Column("engine", key=True),
            Column("query", key=True),
            *[Column(n, justify="right") for n in cols],
        ],
        title="baseline vs optimized (indexes, rewrites) vs rollup, with their costs",
        drop_empty=True,  # DuckDB has no index or trigger columns to show
    )
    for c in results.comparisons:
        inserts = ""
        if c.get("insert_rows"):
            inserts = (
                f"{_rate(c.get('insert_rows_per_s_without_trigger'))} → "
                f"{_rate(c.get('insert_rows_per_s_with_trigger'))} ({c['insert_rows']:,})"
            )
        grid.add_row(
            c["engine"],
            c["query"],
            _secs(c["baseline_s"]),
            _timed(c, "optimized"),
            _secs(c["optimized_build_s"]) if c.get("optimized_build_s") else "",
            _size(c.get("optimized_bytes")),
            _timed(c, "rollup"),
            _secs(c["rollup_build_s"]) if c.get("rollup_build_s") else "",
            _size(c.get("rollup_bytes")),
            inserts,
        )
    return grid
