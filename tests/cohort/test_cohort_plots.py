"""The heatmap and line chart: real PNG files, non-trivial, with censored cells not drawn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from ducky.cohort import compute
from ducky.cohort.matrix import Cohort, CohortMatrix, weighted_average
from ducky.cohort.plots import draw_heatmap, draw_lines, png_bytes, write_heatmap, write_lines


def _png_pixels(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


def test_heatmap_and_lines_files(handmade_dir: Path, tmp_path: Path) -> None:
    r = compute(handmade_dir)
    heat = write_heatmap(r.matrix, tmp_path / "heat.png", r.definition, r.subtitle())
    lines = write_lines(r.matrix, tmp_path / "lines.png", r.definition, r.subtitle())
    for path in (heat, lines):
        px = _png_pixels(path)
        assert px.shape[0] > 300 and px.shape[1] > 600
        packed = (
            (px[..., 0].astype(np.int64) << 16) | (px[..., 1].astype(np.int64) << 8) | px[..., 2]
        )
        assert len(np.unique(packed)) > 50  # many colours, not a blank page
        assert px.std() > 20
    assert heat.read_bytes()[:8] == png_bytes(draw_heatmap(r.matrix, r.definition))[:8]
    # Atomic writes leave no temporary files behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heat.png", "lines.png"]


def test_heatmap_draws_censored_cells_as_missing_not_zero(handmade_dir: Path) -> None:
    r = compute(handmade_dir)
    fig = draw_heatmap(r.matrix, r.definition)
    body, avg = fig.axes[0].images[0].get_array(), fig.axes[1].images[0].get_array()
    mask = np.ma.getmaskarray(body)
    # rows: 2024-12, 2025-01, 2025-03; January's weeks 7-8 and March's 1-8 are censored.
    expected = np.zeros((3, 9), dtype=bool)
    expected[1, 7:] = True
    expected[2, 1:] = True
    assert (mask == expected).all()
    assert body[1, 6] == 0.0 and not mask[1, 6]  # a complete zero stays a real 0 %
    assert body[0, 1] == pytest.approx(200 / 3)
    assert np.ma.getmaskarray(avg).sum() == 0 and avg[0, 0] == pytest.approx(500 / 6)
    # The colour scale is fixed at 0 .. the highest complete return-week rate.
    assert fig.axes[0].images[0].get_clim() == (0.0, pytest.approx(200 / 3))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["2024-12 (n=3)", "2025-01 (n=2)", "2025-03 (n=1)"]
    # Only complete cells carry a number: 9 + 7 + 1 in the body.
    assert len(fig.axes[0].texts) == 17


def test_line_chart_plots_complete_points_only(handmade_dir: Path) -> None:
    r = compute(handmade_dir)
    fig = draw_lines(r.matrix, r.definition)
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == [
        "2024-12 (n=3)",
        "2025-01 (n=2)",
        "2025-03 (n=1)",
        "avg (weighted)",
    ]
    jan = np.asarray(lines[1].get_ydata(), dtype=float)
    assert np.isnan(jan[7:]).all() and jan[6] == 0.0
    assert lines[-1].get_linewidth() > lines[0].get_linewidth()


def test_heatmap_height_grows_with_cohorts() -> None:
    # 24 synthetic cohorts: the figure grows so each row keeps its height, and it renders.
    cohorts = tuple(
        Cohort(
            dt.date(2023 + i // 12, i % 12 + 1, 1),
            1000 + i,
            tuple([1000 + i, *[100 - k for k in range(1, 9)]]),
            tuple(
                (1.0 if k == 0 else (100 - k) / (1000 + i)) if i + k < 30 else None
                for k in range(9)
            ),
        )
        for i in range(24)
    )
    many = CohortMatrix(8, cohorts, weighted_average(cohorts, 8), ())
    few = CohortMatrix(8, cohorts[:3], weighted_average(cohorts[:3], 8), ())
    assert draw_heatmap(many, "d").get_figheight() > 2 * draw_heatmap(few, "d").get_figheight()
    fig = draw_heatmap(many, "definition")
    assert fig.get_figheight() * fig.dpi > 1000  # about 40 px per cohort row at 110 dpi


def test_line_chart_legend_counts_only_cohorts_it_draws(handmade_dir: Path) -> None:
    # March has no complete return week: it is named apart, never counted among grey lines.
    r = compute(handmade_dir)
    box = draw_lines(r.matrix, r.definition).axes[0].get_legend()
    assert box is not None
    assert [t.get_text() for t in box.get_texts()] == [
        "average (weighted by size)",
        "best at w4: 2024-12 (n=3)",
        "worst at w4: 2025-01 (n=2)",
        "no complete return week yet: 2025-03 (n=1)",
    ]
    # Without a best and worst (one cohort complete at week 4) a few cohorts each get their
    # own colour and name: grey lines that cannot be told apart helped no one.
    one = CohortMatrix(8, r.matrix.cohorts[1:], weighted_average(r.matrix.cohorts[1:], 8), ())
    ax = draw_lines(one, r.definition).axes[0]
    box = ax.get_legend()
    assert box is not None
    assert [t.get_text() for t in box.get_texts()][1:] == [
        "2025-01 (n=2)",
        "no complete return week yet: 2025-03 (n=1)",
    ]
    jan = next(ln for ln in ax.get_lines() if ln.get_label() == "2025-01 (n=2)")
    assert jan.get_color() not in ("#b8bcc4", "black") and jan.get_zorder() > 4


def test_heatmap_labels_round_as_the_table_shows() -> None:
    from ducky.cohort.plots import pct_label

    # the table prints 62.5 % and 12.5 %: the cells read 63% and 13%, not Python's half-even
    assert [pct_label(v) for v in (62.5, 12.5, 9.94, 9.95, 0.0, 100.0)] == [
        "63%", "13%", "9.9%", "10%", "0%", "100%",
    ]  # fmt: skip
    c = Cohort(dt.date(2025, 1, 1), 8, (8, 5), (1.0, 0.625))
    m = CohortMatrix(1, (c, c), weighted_average((c, c), 1), ())
    texts = [t.get_text() for t in draw_heatmap(m, "definition").axes[0].texts]
    assert texts.count("63%") == 2 and "62%" not in texts
