"""Small charts for the report, rendered to PNG bytes with matplotlib's Agg backend."""

from __future__ import annotations

import datetime as dt
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


def _week_complete(w: dt.date, first: dt.date | None, last: dt.date | None) -> bool:
    """The canonical WAU rule: the whole week (Monday..Sunday) lies inside the data's days."""
    return (first is None or w >= first) and (last is None or (last - w).days >= 6)


def _month_complete(m: dt.date, first: dt.date | None, last: dt.date | None) -> bool:
    end = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return (first is None or first <= m) and (last is None or last >= end)


def _fill(points: dict[Any, float], step: str) -> tuple[list[Any], list[float]]:
    """Every week (or month) from the first to the last, 0 where there is none: a line chart
    must drop to 0 in an empty period, not bridge it by interpolation."""
    if not points:
        return [], []
    xs, cur, end = [], min(points), max(points)
    while cur <= end:
        xs.append(cur)
        cur = (
            cur + dt.timedelta(days=7)
            if step == "week"
            else (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        )
    return xs, [points.get(x, 0) for x in xs]


def wau_chart(weeks: Sequence[Any], users: Sequence[int], complete: Sequence[bool]) -> bytes:
    return _fig_bytes(wau_figure(weeks, users, complete))


def wau_figure(weeks: Sequence[Any], users: Sequence[int], complete: Sequence[bool]) -> Any:
    """Weekly active users: a count, so integer ticks on an axis from 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    # Weeks without events are absent from the metric; on a line chart they are zero, not gaps
    # to be bridged by interpolation.
    xs, ys = _fill(dict(zip(weeks, users, strict=True)), "week")
    fig, ax = plt.subplots(figsize=(9, 2.8))
    # Solid over whole weeks, dotted into a partial edge week (a week holding one day of data
    # is not a collapse), which is also marked.
    partial_weeks = {w for w, c in zip(weeks, complete, strict=True) if not c}
    ax.plot(xs, ys, color="#3b6fd8", linewidth=1.4, linestyle=":")
    whole = [(w, u) for w, u in zip(xs, ys, strict=True) if w not in partial_weeks]
    ax.plot(
        [p[0] for p in whole], [p[1] for p in whole], color="#3b6fd8", linewidth=1.8,
        label="active users",
    )  # fmt: skip
    partial = [(w, u) for w, u, c in zip(weeks, users, complete, strict=True) if not c]
    if partial:
        ax.scatter(
            [p[0] for p in partial],
            [p[1] for p in partial],
            color="#d8833b",
            zorder=3,
            label="partial week (edge of data), dotted",
        )
    ax.set_ylabel("weekly active users")
    ax.set_ylim(bottom=0)  # a count: the axis starts at 0
    # whole users only (no "1.5 users" tick), at round steps
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    return fig


def revenue_chart(
    business: Any, first: dt.date | None = None, last: dt.date | None = None
) -> bytes:
    return _fig_bytes(revenue_figure(business, first, last))


def revenue_figure(business: Any, first: dt.date | None = None, last: dt.date | None = None) -> Any:
    """Revenue by month (bars) and by week (line) of the largest currency, one panel each.

    `first` and `last` are the first and last days of the data: weeks and months they cover
    only in part are marked (the last week of a shop often holds a day or two)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    main = business.totals[0].currency if business.totals else None
    others = [t.currency for t in business.totals[1:] if t.currency]
    mx, my = _fill({p.start: p.revenue for p in business.by_month if p.currency == main}, "month")
    wx, wy = _fill({p.start: p.revenue for p in business.by_week if p.currency == main}, "week")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 2.8), width_ratios=[1, 1.6])
    money = FuncFormatter(money_tick)
    cur = f", {main}" if main else ""
    # Month bars: labelled as the tables label them; a month the data covers in part is pale.
    full = [_month_complete(m, first, last) for m in mx]
    labels = [f"{m:%Y-%m}" for m in mx]
    a1.bar(
        labels,
        my,
        color=["#3b6fd8" if f else "#b9cbf2" for f in full],
        edgecolor=["#3b6fd8" if f else "#d8833b" for f in full],
    )
    a1.set_title(
        f"revenue by month{cur}" + ("" if all(full) else " (pale: partial month)"), fontsize=9
    )
    if len(mx) > 6:
        a1.tick_params(axis="x", labelrotation=45, labelsize=7)
        for t in a1.get_xticklabels():
            t.set_horizontalalignment("right")
            t.set_rotation_mode("anchor")
    else:
        a1.tick_params(axis="x", labelsize=7)
    # Week line: solid over whole weeks, dotted into the partial edge weeks, which are marked.
    done = [_week_complete(w, first, last) for w in wx]
    a2.plot(wx, wy, color="#3b6fd8", linewidth=1.4, linestyle=":")
    whole = [(w, y) for w, y, d in zip(wx, wy, done, strict=True) if d]
    if whole:
        a2.plot([p[0] for p in whole], [p[1] for p in whole], color="#3b6fd8", linewidth=1.6)
    part = [(w, y) for w, y, d in zip(wx, wy, done, strict=True) if not d]
    if part:
        a2.scatter([p[0] for p in part], [p[1] for p in part], color="#d8833b", zorder=3, s=22)
    a2.set_title(
        f"revenue by week{cur}, Monday to Sunday" + ("; orange: partial week" if part else ""),
        fontsize=9,
    )
    a2.tick_params(axis="x", labelsize=7)
    for a in (a1, a2):
        a.yaxis.set_major_formatter(money)
        a.set_ylim(bottom=0)
        a.tick_params(axis="y", labelsize=7)
        a.grid(axis="y", alpha=0.3)
        a.spines[["top", "right"]].set_visible(False)
    a1.set_ylabel(f"revenue ({main})" if main else "revenue", fontsize=8)
    if others:
        fig.text(
            0.01,
            -0.02,
            f"{main} only; revenue in {', '.join(others)} is in the tables below "
            "(currencies are never added together).",
            fontsize=7,
            color="#5b6474",
        )
    fig.tight_layout()
    return fig
