"""Charts people read: the bench chart's colours follow engine (hue) and variant (shade), its
log axis has human ticks; the cohort lines chart highlights best, worst and average."""

from __future__ import annotations

import colorsys
import datetime as dt

import pytest

from ducky.bench.chart import figure, human_seconds
from ducky.bench.results import Record
from ducky.cohort.matrix import Cohort, CohortMatrix, weighted_average
from ducky.cohort.plots import draw_lines, highlighted


def _rec(engine: str, query: str, variant: str, s: float) -> Record:
    return Record(engine, query, variant, [s], s, s, s, 1, True, None, [], 0.0, None, None, "")


def test_bench_chart_one_hue_per_engine_one_shade_per_variant() -> None:
    import matplotlib.pyplot as plt

    recs = [
        _rec(e, q, v, base * f)
        for e, base in (("duckdb", 0.05), ("postgres", 2.0))
        for q in ("wau", "revenue")
        for v, f in (("baseline", 1.0), ("optimized", 0.5), ("rollup", 0.01))
    ]
    fig = figure(recs)
    try:
        ax = fig.axes[0]
        bars = ax.patches
        assert len(bars) == 12
        hues: dict[str, list[tuple[str, float, float]]] = {}
        for r, bar in zip(recs, bars, strict=True):
            red, green, blue, _ = bar.get_facecolor()
            h, lightness, _s = colorsys.rgb_to_hls(red, green, blue)
            hues.setdefault(r.engine, []).append((r.variant, h, lightness))
        # one hue family per engine: hues within an engine close, across engines far apart
        duck = [h for _, h, _ in hues["duckdb"]]
        pg = [h for _, h, _ in hues["postgres"]]
        assert max(duck) - min(duck) < 0.05 and max(pg) - min(pg) < 0.05
        assert abs(sum(duck) / 6 - sum(pg) / 6) > 0.3
        # one shade per variant: baseline lightest, rollup darkest, the same for each query
        for rows in hues.values():
            light = {v: lt for v, _, lt in rows}
            assert light["baseline"] > light["optimized"] > light["rollup"]
        # the legend sits below the plot (in the figure, not beside the axes) with 6 entries
        legend = fig.legends[0]
        assert [t.get_text() for t in legend.get_texts()][:2] == [
            "duckdb · baseline",
            "postgres · baseline",
        ]
        assert ax.get_yscale() == "log"
        fig.canvas.draw()
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert "1 s" in ticks and "10 ms" in ticks
        # each bar carries its median as a label
        labels = {t.get_text() for t in ax.texts}
        assert {"50 ms", "2 s", "20 ms"} <= labels
    finally:
        plt.close(fig)


def test_bench_chart_labels_never_overlap_and_stay_inside() -> None:
    """Five engines x three queries x three variants with the medians of a real 10M run
    (2026-12-06, docs/BENCHMARKS.md), where neighbouring bars are of a height (PostgreSQL
    revenue 510 / 433 ms, Spark 1.45 s / 800 ms, chDB 61 / 66 / 18 ms): no two value labels
    overlap, and every label is inside the axes."""
    import matplotlib.pyplot as plt

    # (baseline, optimized, rollup) seconds for wau, revenue, cohort
    medians = {
        "duckdb": [(0.2436, 0.1071, 0.0027), (0.0531, 0.0263, 0.0042), (0.3896, 0.2553, 0.0046)],
        "duckdb-native": [(0.1755, 0.1084, 0.0026), (0.0473, 0.0513, 0.0042), (0.325, 0.23, 0.005)],
        "postgres": [(5.80, 0.241, 0.0004), (0.510, 0.4334, 0.0007), (5.53, 3.63, 0.0257)],
        "spark": [(2.18, 1.49, 0.2213), (1.45, 0.8001, 0.1894), (4.62, 3.47, 0.2587)],
        "chdb": [(0.1921, 0.1648, 0.0038), (0.0608, 0.066, 0.0176), (0.4281, 0.4716, 0.0158)],
    }  # fmt: skip
    recs = [
        _rec(e, q, v, s)
        for e, rows in medians.items()
        for q, row in zip(("wau", "revenue", "cohort"), rows, strict=True)
        for v, s in zip(("baseline", "optimized", "rollup"), row, strict=True)
    ]
    fig = figure(recs, "ducky bench: 9,999,730 events, median of 3 runs")
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        ax = fig.axes[0]
        boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()[0].isdigit()]
        assert len(boxes) == 45
        clashes = [
            (i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])
        ]
        assert clashes == []
        frame = ax.get_window_extent(renderer)
        assert all(frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)
    finally:
        plt.close(fig)


def test_human_seconds_ticks() -> None:
    assert [human_seconds(x) for x in (5e-4, 0.0012, 0.0923, 6.9, 60, 188.4, 3600)] == [
        "500 µs", "1.2 ms", "92 ms", "6.9 s", "1 min", "3.1 min", "1 h",
    ]  # fmt: skip


def _twelve() -> CohortMatrix:
    cohorts = []
    for i in range(12):
        size = 1000 + 10 * i
        w4 = {3: 300, 7: 120}.get(i, 200)  # cohort 3 best, cohort 7 worst at week 4
        retained = tuple([size, 280, 250, 230, w4, 180, 170, 160, 150])
        rates = tuple((r / size) if i + k <= 14 else None for k, r in enumerate(retained))
        cohorts.append(Cohort(dt.date(2025, i + 1, 1), size, retained, rates))
    t = tuple(cohorts)
    return CohortMatrix(8, t, weighted_average(t, 8), ())


def test_lines_chart_highlights_best_worst_and_average_with_twelve_cohorts() -> None:
    m = _twelve()
    assert highlighted(m) == (3, 7)
    fig = draw_lines(m, "definition")
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 13 and lines[-1].get_label() == "avg (weighted)"
    muted = [ln for i, ln in enumerate(lines[:-1]) if i not in (3, 7)]
    assert {ln.get_color() for ln in muted} == {"#b8bcc4"}
    assert lines[3].get_color() != lines[7].get_color() != "#b8bcc4"
    assert lines[3].get_linewidth() > muted[0].get_linewidth()
    assert lines[-1].get_linewidth() >= lines[3].get_linewidth()
    box = ax.get_legend()
    assert box is not None
    legend = [t.get_text() for t in box.get_texts()]
    assert legend == [
        "average (weighted by size)",
        "best at w4: 2025-04 (n=1,030)",
        "worst at w4: 2025-08 (n=1,070)",
        "10 other cohorts",
    ]
    # the scale follows the return weeks (week 0 = 100 % is above it, and says so)
    assert ax.get_ylim()[1] == pytest.approx(100 * 300 / 1030 * 1.3)
    assert any("week 0: 100 %" in t.get_text() for t in ax.texts)


def test_recommendations_follow_the_measurements() -> None:
    from ducky.report.optimize import analyse, recommendation

    def rec(variant: str, s: float, parity: bool = True, **stage: object) -> dict[str, object]:
        return {
            "engine": "duckdb", "query": "revenue", "variant": variant, "median_s": s,
            "runs": [s, s, s], "speedup_vs_baseline": 0.1 / s, "parity": parity, "setup_s": 0.5,
            "bottleneck": "READ_PARQUET on events: 56% of time" if variant == "baseline" else "",
            "stages": [stage] if stage else [],
        }  # fmt: skip

    doc = {"records": [rec("baseline", 0.1), rec("optimized", 0.11), rec("rollup", 0.01)]}
    (q,) = analyse(doc)
    text = recommendation(q)
    assert text.startswith("no gain from the rewrite: a full scan is already the plan (READ")
    assert "use the rollup for dashboards (10.0x; build 500.0 ms)" in text
    doc = {"records": [rec("baseline", 0.1), rec("optimized", 0.01, parity=False)]}
    (q,) = analyse(doc)
    assert recommendation(q) == (
        "do not use the optimized variant: its rows differ from the baseline"
    )


def test_money_tick_labels_are_exact() -> None:
    from ducky.report.charts import money_tick

    # 2.5k steps were labelled 0, 2k, 5k, 8k, 10k, 12k (half-to-even rounding)
    assert [money_tick(v) for v in (0, 2500, 5000, 7500, 10000, 12500)] == [
        "0", "2.5k", "5k", "7.5k", "10k", "12.5k"
    ]  # fmt: skip
    assert money_tick(1_250_000) == "1.25M"
    assert money_tick(750) == "750" and money_tick(12.5) == "12.5"


def test_revenue_chart_axis_uses_exact_ticks() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    from ducky.report.charts import money_tick

    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [12000, 13000])
    ax.yaxis.set_major_locator(MultipleLocator(2500))  # the step seen in the user's report
    ax.yaxis.set_major_formatter(FuncFormatter(money_tick))
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    plt.close(fig)
    assert "2.5k" in labels and "2k" not in labels
