"""Small charts for the report, rendered to PNG bytes with matplotlib's Agg backend."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any


def money_tick(v: float, _pos: Any = None) -> str:
    """Axis label for an amount: exact at the tick (2500 -> "2.5k", 1250000 -> "1.25M"), never
    rounded to a neighbouring value (2.5k once read "2k" under half-to-even rounding)."""
    for div, unit in ((1_000_000, "M"), (1000, "k")):
        if abs(v) >= div:
            return f"{v / div:,.2f}".rstrip("0").rstrip(".") + unit
    return f"{v:,.2f}".rstrip("0").rstrip(".")


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


def revenue_chart(business: Any) -> bytes:
    """Revenue by month (bars) and by week (line) of the largest currency, one panel each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    main = business.totals[0].currency if business.totals else None
    months = [p for p in business.by_month if p.currency == main]
    weeks = [p for p in business.by_week if p.currency == main]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 2.8), width_ratios=[1, 1.6])
    money = FuncFormatter(money_tick)
    a1.bar([f"{p.start:%y-%m}" for p in months], [p.revenue for p in months], color="#3b6fd8")
    a1.set_title("revenue by month", fontsize=9)
    a1.tick_params(axis="x", labelrotation=90, labelsize=7)
    a2.plot([p.start for p in weeks], [p.revenue for p in weeks], color="#3b6fd8", linewidth=1.6)
    a2.set_title("revenue by week (weeks start Monday; edge weeks partial)", fontsize=9)
    a2.tick_params(axis="x", labelsize=7)
    for a in (a1, a2):
        a.yaxis.set_major_formatter(money)
        a.tick_params(axis="y", labelsize=7)
        a.grid(axis="y", alpha=0.3)
        a.spines[["top", "right"]].set_visible(False)
    label = f"revenue ({main})" if main else "revenue"
    a1.set_ylabel(label, fontsize=8)
    fig.tight_layout()
    return _fig_bytes(fig)
