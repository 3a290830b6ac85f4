"""Heatmap and line chart of a cohort matrix (matplotlib, Agg canvas, atomic PNG writes).

The figures are built with `matplotlib.figure.Figure` and an Agg canvas rather than pyplot, so
drawing never touches the process-wide backend or leaks figures in a long-running server.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from ducky.cohort.matrix import CohortMatrix

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure

TITLE = "Cohort retention: share of each monthly signup cohort active in week k after signup"
CMAP = "YlGnBu"


def _grid(values: list[list[float | None]]) -> np.ndarray:
    import numpy as np

    return np.array(
        [[np.nan if v is None else 100.0 * v for v in row] for row in values], dtype=float
    ).reshape(len(values), len(values[0]) if values else 0)


def rates_percent(matrix: CohortMatrix) -> np.ndarray:
    """Cohort x week rates in percent, NaN where the cell is incomplete (drawn hatched)."""
    return _grid(matrix.rates_grid())


def colour_max(matrix: CohortMatrix) -> float:
    """Top of the colour scale: the highest complete rate of the return weeks (1..N).

    Week 0 contains the signup day and sits near 100 %; scaling to it would wash the return
    weeks out, so week-0 cells saturate instead (their numbers are printed on them anyway)."""
    import numpy as np

    grid = rates_percent(matrix)
    body = grid[:, 1:] if grid.shape[1] > 1 else grid
    top = float(np.nanmax(body)) if np.isfinite(body).any() else 0.0
    if top <= 0.0 and np.isfinite(grid).any():
        top = float(np.nanmax(grid))
    return top if top > 0 else 100.0


def _caption(definition: str, subtitle: str, fig_width_in: float) -> str:
    # About 19 characters per inch at the 6.5 pt caption size: fill the figure's width.
    width = int(19 * fig_width_in)
    return "\n".join(textwrap.wrap(f"{subtitle}  Definition: {definition}", width=width))


def pct_label(v: float) -> str:
    """A cell's percentage as the table beside it shows it (one decimal), and from 10 % up
    that figure rounded half up to a whole number: the table's 62.5 % reads "63%" (formatting
    the float to no decimals rounds half to even, "62%", contradicting the table)."""
    from decimal import ROUND_HALF_UP, Decimal

    shown = f"{v:.1f}"  # the cohort table's own rounding (cli/cohort_cmd.py)
    if v >= 9.95 or v == 0:
        return f"{Decimal(shown).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"
    return f"{shown}%"


def _annotate(ax: object, grid: np.ndarray, vmax: float) -> None:
    from matplotlib.patches import Rectangle

    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            v = grid[i, j]
            if v != v:  # NaN: incomplete, hatched and left without a number
                ax.add_patch(  # type: ignore[attr-defined]
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        fill=False,
                        hatch="///",
                        edgecolor="#b0b0b0",
                        linewidth=0,
                    )
                )
                continue
            ax.text(  # type: ignore[attr-defined]
                j,
                i,
                pct_label(v),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 0.6 * vmax else "#222222",
            )


def draw_heatmap(matrix: CohortMatrix, definition: str, subtitle: str = "") -> Figure:
    """The heatmap figure: cohorts as rows, weeks as columns, average row set apart below."""
    import numpy as np
    from matplotlib.figure import Figure

    grid = rates_percent(matrix)
    avg = _grid([matrix.average_rates()])
    vmax = colour_max(matrix)
    n, cols = grid.shape
    # Height grows with the number of cohorts so labels and numbers stay legible at 12, 24, 36.
    fig = Figure(figsize=(max(7.5, 2.8 + 0.8 * cols), 2.4 + 0.36 * (n + 1)), dpi=110)
    gs = fig.add_gridspec(
        2,
        2,
        height_ratios=[max(n, 1), 1.0],
        width_ratios=[40, 1],
        hspace=0.08 + 0.6 / max(n, 1),
        wspace=0.03,
    )
    ax = fig.add_subplot(gs[0, 0])
    ax_avg = fig.add_subplot(gs[1, 0], sharex=ax)
    cax = fig.add_subplot(gs[:, 1])
    for a in (ax, ax_avg):
        a.set_facecolor("#f4f4f4")  # incomplete cells show this through their hatching
    kw = {"cmap": CMAP, "vmin": 0.0, "vmax": vmax, "aspect": "auto", "interpolation": "nearest"}
    image = ax.imshow(np.ma.masked_invalid(grid), **kw)  # type: ignore[arg-type]
    ax_avg.imshow(np.ma.masked_invalid(avg), **kw)  # type: ignore[arg-type]
    _annotate(ax, grid, vmax)
    _annotate(ax_avg, avg, vmax)

    ax.set_yticks(range(n), [c.label for c in matrix.cohorts], fontsize=8)
    ax_avg.set_yticks([0], ["avg (weighted)"], fontsize=8, fontweight="bold")
    ax.tick_params(axis="x", labelbottom=False, top=True, labeltop=True)
    ax.set_xticks(range(cols), [f"w{k}" for k in range(cols)], fontsize=8)
    ax_avg.set_xlabel("weeks since signup (week 0 = signup day + 6 days)", fontsize=8)
    ax_avg.tick_params(axis="x", labelsize=8)
    for a in (ax, ax_avg):
        for spine in a.spines.values():
            spine.set_visible(False)
    bar = fig.colorbar(image, cax=cax)
    bar.set_label("retained % (complete cells)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    fig.suptitle(TITLE, fontsize=10, fontweight="bold")
    note = "Hatched: not yet observable (censored), never 0 %."
    if matrix.empty_months:
        note += " No signups (no row): " + ", ".join(f"{m:%Y-%m}" for m in matrix.empty_months)
        note += "."
    fig.text(
        0.01,
        0.005,
        _caption(definition, f"{subtitle} {note}".strip(), fig.get_figwidth()),
        fontsize=6.5,
        va="bottom",
        ha="left",
        color="#444444",
    )
    fig.subplots_adjust(
        left=0.2, right=0.93, top=1 - 0.75 / fig.get_figheight(), bottom=1.05 / fig.get_figheight()
    )
    return fig


def highlighted(matrix: CohortMatrix) -> tuple[int | None, int | None]:
    """Indexes of the best and worst cohort at the insights' focus week (the same ranking as
    the printed insight: highest rate first, ties to the larger, then older, cohort)."""
    from ducky.cohort.insights import FOCUS_WEEK

    week = min(FOCUS_WEEK, matrix.weeks)
    done = [(i, c) for i, c in enumerate(matrix.cohorts) if c.size > 0 and c.complete(week)]
    if len(done) < 2:
        return None, None
    ranked = sorted(done, key=lambda ic: (-(ic[1].rates[week] or 0.0), -ic[1].size, ic[1].month))
    return ranked[0][0], ranked[-1][0]


FEW = 6  # cohorts drawn each in its own colour when there is no best/worst to single out
# A qualitative palette distinct from the best/worst green and red and the average's black.
PALETTE = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def draw_lines(matrix: CohortMatrix, definition: str, subtitle: str = "") -> Figure:
    """One line per cohort over its complete weeks: the best and worst cohort (at week 4) in
    colour, the others muted grey, the weighted average bold black; labels at the line ends.

    Twelve equally loud lines are unreadable; what people ask is "how does the average look,
    and which cohorts stand out", so only those carry colour and a label."""
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from ducky.cohort.insights import FOCUS_WEEK

    grid = rates_percent(matrix)
    avg = _grid([matrix.average_rates()])[0]
    weeks = np.arange(grid.shape[1])
    fig = Figure(figsize=(10, 5.6), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    best, worst = highlighted(matrix)
    style = {best: ("#1a9850", 2.4, "best"), worst: ("#d73027", 2.4, "worst")}
    # Without a best and worst (fewer than 2 cohorts complete at the focus week) a few grey
    # lines cannot be told apart: up to FEW cohorts each get a colour and an end label.
    body_ok = np.isfinite(grid[:, 1:]).any(axis=1) if grid.shape[1] > 1 else np.zeros(0, bool)
    visible = [i for i in range(len(matrix.cohorts)) if grid.shape[1] > 1 and body_ok[i]]
    own: dict[int, str] = {}
    if best is None and 0 < len(visible) <= FEW:
        own = {i: PALETTE[n % len(PALETTE)] for n, i in enumerate(visible)}

    def end_label(ys: np.ndarray, text: str, colour: str, bold: bool = False) -> None:
        ok = np.flatnonzero(np.isfinite(ys))
        if len(ok):
            k = int(ok[-1])
            ax.annotate(
                text,
                (float(weeks[k]), float(ys[k])),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=colour,
                fontweight="bold" if bold else "normal",
            )

    for i, c in enumerate(matrix.cohorts):
        # NaN points (incomplete weeks) are simply not drawn: the line stops where data stops.
        if i in style:
            colour, width, _ = style[i]
            ax.plot(weeks, grid[i], color=colour, linewidth=width, marker="o", markersize=3.5,
                    label=c.label, zorder=3)  # fmt: skip
        elif i in own:
            # above the average: where it is the only cohort left, its line runs along the
            # average's middle instead of vanishing under it
            ax.plot(weeks, grid[i], color=own[i], linewidth=1.6, marker="o", markersize=3,
                    label=c.label, zorder=5)  # fmt: skip
            # where the average ends on this cohort's last point (it is the only cohort left
            # there), the legend names the line: two labels on one spot read as neither
            ends = [int(np.flatnonzero(np.isfinite(y))[-1]) for y in (grid[i], avg)
                    if np.isfinite(y).any()]  # fmt: skip
            same_end = len(ends) == 2 and ends[0] == ends[1]
            if not (same_end and abs(grid[i][ends[0]] - avg[ends[1]]) < 2.0):
                end_label(grid[i], c.label, own[i])
        else:
            ax.plot(weeks, grid[i], color="#b8bcc4", linewidth=1.0, marker="o", markersize=1.8,
                    alpha=0.8, label=c.label, zorder=1)  # fmt: skip
    ax.plot(weeks, avg, color="black", linewidth=3.0, marker="o", label="avg (weighted)", zorder=4)
    for hi in (best, worst):
        if hi is not None:
            colour, _, word = style[hi]
            end_label(grid[hi], f"{word}: {matrix.cohorts[hi].label}", colour, bold=True)
    end_label(avg, "average", "black", bold=True)
    ax.set_xticks(weeks, [f"w{k}" for k in weeks])
    ax.set_xlim(-0.3, weeks[-1] + 2.2 if len(weeks) else 1)  # room for the end labels
    ax.set_xlabel("weeks since signup")
    ax.set_ylabel("retained %")
    ax.set_ylim(bottom=0)
    # Week 0 holds the signup day (near 100 %): scaled to it, the return weeks that differ
    # between cohorts squeeze into the bottom quarter. Scale to the return weeks instead and
    # say where week 0 went.
    body = grid[:, 1:] if grid.shape[1] > 1 else grid
    if np.isfinite(body).any() and np.isfinite(avg[:1]).all():
        top = float(np.nanmax(body)) * 1.3
        if avg[0] > top:
            ax.set_ylim(0, top)
            ax.annotate(
                f"week 0: {pct_label(avg[0])[:-1]} % on average (above the scale)",
                (1, top),  # right of the steep week 0 -> 1 segment, not on it
                xytext=(8, -4),
                textcoords="offset points",
                va="top",
                fontsize=8,
                color="#444444",
            )
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [Line2D([], [], color="black", linewidth=3.0, label="average (weighted by size)")]
    if best is not None and worst is not None:
        wk = min(FOCUS_WEEK, matrix.weeks)
        handles += [
            Line2D([], [], color="#1a9850", linewidth=2.4,
                   label=f"best at w{wk}: {matrix.cohorts[best].label}"),
            Line2D([], [], color="#d73027", linewidth=2.4,
                   label=f"worst at w{wk}: {matrix.cohorts[worst].label}"),
        ]  # fmt: skip
    # Count only the grey cohorts that show a line: a cohort too young for any complete return
    # week has at most a week-0 dot (often above the scale), and counting it in "N other
    # cohorts" promised lines nobody could find. Name those apart instead.
    handles += [Line2D([], [], color=own[i], linewidth=1.8, label=matrix.cohorts[i].label)
                for i in own]  # fmt: skip
    muted = [i for i in range(len(matrix.cohorts)) if i not in (best, worst) and i not in own]
    young = [i for i in muted if grid.shape[1] > 1 and not np.isfinite(grid[i, 1:]).any()]
    shown = len(muted) - len(young)
    if shown:
        noun = "cohort" if shown == 1 else "cohorts"
        label = f"{shown} other {noun}" if best is not None else f"{shown} {noun}"
        handles.append(Line2D([], [], color="#b8bcc4", linewidth=1.0, label=label))
    if young:
        names = ", ".join(matrix.cohorts[i].label for i in young[:3])
        more = f" and {len(young) - 3} more" if len(young) > 3 else ""
        handles.append(
            Line2D([], [], linestyle="none",
                   label=f"no complete return week yet: {names}{more}")
        )  # fmt: skip
    ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    ax.set_title(TITLE, fontsize=10, fontweight="bold")
    fig.text(
        0.01,
        0.005,
        _caption(definition, subtitle, fig.get_figwidth()),
        fontsize=6.5,
        va="bottom",
        color="#444444",
    )
    fig.subplots_adjust(left=0.07, right=0.97, top=0.92, bottom=0.2)
    return fig


def save_atomic(fig: Figure, path: Path) -> Path:
    """Write a PNG next to `path` under a temporary name, then rename it into place, so a
    failed run never leaves a truncated image where a good one used to be."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    from ducky.atomic import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=".png") as tmp:  # the user's umask mode, not mkstemp's 0600
        fig.savefig(tmp, format="png")
    return path


def write_heatmap(matrix: CohortMatrix, path: Path, definition: str, subtitle: str = "") -> Path:
    return save_atomic(draw_heatmap(matrix, definition, subtitle), path)


def write_lines(matrix: CohortMatrix, path: Path, definition: str, subtitle: str = "") -> Path:
    return save_atomic(draw_lines(matrix, definition, subtitle), path)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, for pages that inline their images (the HTML report)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
