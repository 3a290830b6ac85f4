"""The on-screen bench summary (a rich table)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.bench.results import BenchResults


def _secs(s: float) -> str:
    return f"{s * 1000:,.1f} ms" if s < 1 else f"{s:,.2f} s"


def print_results(results: BenchResults) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"ducky bench ({results.repeat} runs each, after a warm-up)")
    for name, justify in [
        ("engine", "left"),
        ("query", "left"),
        ("variant", "left"),
        ("median", "right"),
        ("min–max", "right"),
        ("setup", "right"),
        ("vs base", "right"),
        ("vs fastest", "right"),
        ("rows", "right"),
        ("parity", "center"),
        ("bottleneck", "left"),
    ]:
        # Only the note wraps: names and numbers must stay whole in an 80-column terminal.
        t.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=name != "bottleneck",
            overflow="fold",
            ratio=1 if name == "bottleneck" else None,
            min_width=16 if name == "bottleneck" else None,
        )
    for r in results.records:
        vs_base = f"{r.speedup_vs_baseline:.1f}x" if r.speedup_vs_baseline else ""
        slower = 1 / r.speedup_vs_fastest if r.speedup_vs_fastest else 0.0
        t.add_row(
            r.engine,
            r.query,
            r.variant,
            _secs(r.median_s),
            f"{_secs(r.min_s)}–{_secs(r.max_s)}",
            _secs(r.setup_s) if r.setup_s else "",
            vs_base,
            "fastest" if slower <= 1.0001 else f"{slower:.1f}x slower",
            f"{r.rows:,}",
            "[green]ok[/green]" if r.parity else "[red]MISMATCH[/red]",
            r.bottleneck,
        )
    console = Console()
    if not console.is_terminal:  # piped or captured: wide enough for every column
        console = Console(width=160)
    console.print(t)
    if results.comparisons:
        console.print(comparison_table(results))
    if results.chart_path:
        console.print(f"[dim]chart: {results.chart_path}  plans: {results.plans_dir}[/dim]")


def _size(n: int | None) -> str:
    return f"{n / 1e6:,.1f} MB" if n is not None else ""


def _rate(x: float | None) -> str:
    return f"{x:,.0f}/s" if x else ""


def _timed(row: dict[str, Any], name: str) -> str:
    if f"{name}_s" not in row:
        return ""
    speed = row.get(f"{name}_speedup")
    return _secs(row[f"{name}_s"]) + (f" ({speed:,.0f}x)" if speed else "")


def comparison_table(results: BenchResults) -> Any:
    """Baseline vs indexes/rewrites vs maintained rollup per engine and query, with costs."""
    from rich.table import Table

    t = Table(title="baseline vs optimized (indexes, rewrites) vs rollup, with their costs")
    cols = [
        "engine", "query", "baseline", "optimized", "idx build", "idx size", "rollup",
        "build", "size", "inserts/s: no trigger → trigger",
    ]  # fmt: skip
    for name in cols:
        t.add_column(name, justify="left" if name in ("engine", "query") else "right", no_wrap=True)
    for c in results.comparisons:
        inserts = ""
        if c.get("insert_rows"):
            inserts = (
                f"{_rate(c.get('insert_rows_per_s_without_trigger'))} → "
                f"{_rate(c.get('insert_rows_per_s_with_trigger'))} ({c['insert_rows']:,})"
            )
        t.add_row(
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
    return t
