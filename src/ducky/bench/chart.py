"""The bench chart: bars grouped by engine (one cluster per engine and query, one bar per
variant), one hue family per engine and one shade per variant, log time axis in readable units,
the median printed on each bar (turned a quarter, so neighbours never overlap) and the legend
below the plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.bench.results import Record

# One sequential colormap per engine, in order of first appearance: hues never repeat across
# engines, and the variant is the shade (light = baseline, dark = the most prepared variant).
NICE_TICKS: tuple[float, ...] = (
    1e-5,
    1e-4,
    1e-3,
    1e-2,
    0.1,
    1.0,
    10.0,
    60.0,
    600.0,
    3600.0,
    36000.0,
)
HUES = ("Blues", "Oranges", "Greens", "Purples", "Reds", "Greys", "YlOrBr", "BuGn")


def human_seconds(s: float) -> str:
    """Tick and bar labels: 500 µs, 20 ms, 1.5 s, 3 min."""
    if s <= 0:
        return "0"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        v = s * 1e3
        return f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms".replace(".0 ms", " ms")
    if s < 60:
        return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s".replace(".0 s", " s")
    if s < 3600:
        m = s / 60
        return f"{m:.0f} min" if m >= 10 or m == round(m) else f"{m:.1f} min"
    return f"{s / 3600:.0f} h"


def _shades(cmap_name: str, n: int) -> list[Any]:
    import matplotlib

    cmap = matplotlib.colormaps[cmap_name]
    if n == 1:
        return [cmap(0.65)]
    return [cmap(0.35 + 0.55 * i / (n - 1)) for i in range(n)]


def draw(records: list[Record], path: Path, title: str = "ducky bench") -> Path:
    """Write a PNG of median query time per (engine, query, variant), min-max as error bars."""
    import matplotlib.pyplot as plt

    fig = figure(records, title)
    path.parent.mkdir(parents=True, exist_ok=True)
    from ducky.atomic import atomic_path

    try:
        with atomic_path(path, suffix=".png") as tmp:  # the user's umask mode, not 0600
            fig.savefig(tmp, dpi=110)
    finally:
        plt.close(fig)
    return path


def figure(records: list[Record], title: str = "ducky bench") -> Any:
    """The chart's matplotlib figure (the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in tests
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    engines = list(dict.fromkeys(r.engine for r in records))
    queries = list(dict.fromkeys(r.query for r in records))
    variants = list(dict.fromkeys(r.variant for r in records))
    by_key = {(r.engine, r.query, r.variant): r for r in records}
    colours = {
        (e, v): c
        for i, e in enumerate(engines)
        for v, c in zip(variants, _shades(HUES[i % len(HUES)], len(variants)), strict=True)
    }
    width = 0.8 / max(len(variants), 1)
    clusters = [
        (e, q) for e in engines for q in queries if any((e, q, v) in by_key for v in variants)
    ]
    # a gap of half a cluster between engines makes the engine grouping visible
    xs_cluster: list[float] = []
    x = 0.0
    for i, (e, _q) in enumerate(clusters):
        if i and clusters[i - 1][0] != e:
            x += 0.6
        xs_cluster.append(x)
        x += 1.0
    fig, ax = plt.subplots(figsize=(max(7.5, 1.6 + 0.95 * len(clusters)), 5.2))
    for (e, q), cx in zip(clusters, xs_cluster, strict=True):
        for vi, v in enumerate(variants):
            r = by_key.get((e, q, v))
            if r is None:
                continue
            bx = cx - 0.4 + width * (vi + 0.5)
            ax.bar(
                bx,
                r.median_s,
                width * 0.92,
                color=colours[(e, v)],
                edgecolor="white",
                linewidth=0.5,
                yerr=[[r.median_s - r.min_s], [r.max_s - r.median_s]],
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#555555"},
            )
            # Upright labels side by side overlap wherever neighbouring bars are of a height
            # ("510 ms" over "433 ms"); turned a quarter they are as narrow as the text is tall.
            ax.annotate(
                human_seconds(r.median_s),
                (bx, r.max_s),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=90,
                fontsize=7,
                color="#333333",
            )
    ax.set_yscale("log")
    # Ticks at round human durations (1 ms, 10 ms, 1 s, 1 min...), not at 1000 s = "17 min".
    lo = min(r.min_s for r in records) if records else 1e-3
    hi = max(r.max_s for r in records) if records else 1.0
    # Under three decades, 1-2-5 steps so the axis has more than two or three labels.
    fine = hi * 4 / (lo / 2) < 1e3
    ticks = [m * 10.0**e for e in range(-6, 5) for m in (1, 2, 5)] if fine else NICE_TICKS
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human_seconds(v)))
    # Headroom for the upright labels on the tallest bars: a label is about a tenth of the axis
    # high, so the room above `hi` grows with the decades shown (a fixed 12x left a 20 ms chart
    # reaching up to 200 ms, a third of it empty).
    span = math.log10(hi / (lo / 2))
    ax.set_ylim(lo / 2, hi * 10 ** max(math.log10(2.5), 0.12 * span / (1 - 0.12)))
    ax.set_xticks(xs_cluster, [q for _e, q in clusters], fontsize=9)
    # engine names under their clusters
    for e in engines:
        pos = [cx for (ce, _q), cx in zip(clusters, xs_cluster, strict=True) if ce == e]
        ax.annotate(
            e,
            ((min(pos) + max(pos)) / 2, 0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -24),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=10,
            fontweight="bold",
        )
    ax.set_ylabel("median query time (log scale)")
    ax.set_title(title, fontsize=11)
    ax.grid(axis="y", which="major", alpha=0.35)
    ax.spines[["top", "right"]].set_visible(False)
    # Legend below: one row per engine, one column per variant (entries are column-major).
    handles = [Patch(color=colours[(e, v)], label=f"{e} · {v}") for v in variants for e in engines]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=len(variants),
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    rows = len(engines)
    fig.tight_layout(rect=(0, 0.02 + 0.045 * rows, 1, 1))
    return fig
