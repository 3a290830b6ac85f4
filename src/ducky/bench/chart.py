"""The bench chart: grouped bars (one group per query, one bar per engine/variant), log scale."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ducky.bench.results import Record


def draw(records: list[Record], path: Path, title: str = "ducky bench") -> Path:
    """Write a PNG of median query time per (engine, variant), min-max as error bars."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in tests
    import matplotlib.pyplot as plt

    queries = list(dict.fromkeys(r.query for r in records))
    series = list(dict.fromkeys(f"{r.engine} · {r.variant}" for r in records))
    by_key = {(r.query, f"{r.engine} · {r.variant}"): r for r in records}
    width = 0.8 / max(len(series), 1)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.2 + 0.35 * len(series) * len(queries)), 4.8))
    cmap = plt.get_cmap("tab20")
    for i, s in enumerate(series):
        xs, ys, lo, hi = [], [], [], []
        for qi, q in enumerate(queries):
            r = by_key.get((q, s))
            if r is None:
                continue
            xs.append(qi - 0.4 + width * (i + 0.5))
            ys.append(r.median_s)
            lo.append(r.median_s - r.min_s)
            hi.append(r.max_s - r.median_s)
        ax.bar(xs, ys, width, label=s, color=cmap(i % 20), yerr=[lo, hi], capsize=2)
    ax.set_yscale("log")
    ax.set_xticks(range(len(queries)))
    ax.set_xticklabels(queries)
    ax.set_ylabel("median query time (s, log scale)")
    ax.set_title(title)
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path
