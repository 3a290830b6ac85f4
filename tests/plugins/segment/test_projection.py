"""The projection plot says how much of the variance its two axes keep (axis labels)."""

from __future__ import annotations

import numpy as np

from ducky.plugins.segment.outputs import axis_label, projection


def test_projection_reports_explained_variance_of_each_axis() -> None:
    rng = np.random.default_rng(3)
    # variance 9, 4, 1, 1 along the axes: PCA's first two keep 9/15 and 4/15
    feats = rng.normal(size=(20_000, 4)) * np.array([3.0, 2.0, 1.0, 1.0])
    xy, ratio = projection(feats)
    assert xy.shape == (20_000, 2)
    assert abs(ratio[0] - 9 / 15) < 0.01 and abs(ratio[1] - 4 / 15) < 0.01
    assert axis_label(1, 0.6) == "PC 1 (60.0 % of variance)"
    assert axis_label(2, float(ratio[1])).startswith("PC 2 (26.")


def test_segment_colours_are_saturated_not_pastel() -> None:
    import colorsys

    from ducky.plugins.segment.outputs import segment_colors

    cols = segment_colors(12)  # 11 clusters + other_language, as in the user's run
    assert len(set(cols)) == 12
    for r, g, b in cols:
        _, light, _ = colorsys.rgb_to_hls(r, g, b)
        assert light < 0.75, (r, g, b)  # tab20's pastels are 0.8+ (near white on white)
