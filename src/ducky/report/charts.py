"""Small charts for the report, rendered to PNG bytes with matplotlib's Agg backend."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any


def _fig_bytes(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def wau_chart(weeks: Sequence[Any], users: Sequence[int], complete: Sequence[bool]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import datetime as dt

    import matplotlib.pyplot as plt

    # Weeks without events are absent from the metric; on a line chart they are zero, not gaps
    # to be bridged by interpolation.
    seen = dict(zip(weeks, users, strict=True))
    xs, ys = [], []
    if weeks:
        w = min(weeks)
        while w <= max(weeks):
            xs.append(w)
            ys.append(seen.get(w, 0))
            w += dt.timedelta(days=7)
    fig, ax = plt.subplots(figsize=(9, 2.8))
    ax.plot(xs, ys, color="#3b6fd8", linewidth=1.8, label="active users")
    partial = [(w, u) for w, u, c in zip(weeks, users, complete, strict=True) if not c]
    if partial:
        ax.scatter(
            [p[0] for p in partial],
            [p[1] for p in partial],
            color="#d8833b",
            zorder=3,
            label="partial week (edge of data)",
        )
    ax.set_ylabel("weekly active users")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    return _fig_bytes(fig)
