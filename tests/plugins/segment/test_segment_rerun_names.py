"""Names are a function of a run's own clusters: an earlier run never renames them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ducky.plugins.segment.pipeline import match_previous


def _result(names: list[str], centroids: list[list[float]], sizes: list[int]) -> Any:
    segs = [
        SimpleNamespace(index=i, name=n, kind="label", size=z)
        for i, (n, z) in enumerate(zip(names, sizes, strict=True))
    ]
    return SimpleNamespace(
        segments=segs, centroids=np.asarray(centroids, dtype=np.float32), names=names
    )


def test_previous_run_does_not_rename_segments() -> None:
    phones, gaming = [1.0, 0.0], [0.0, 1.0]
    # the run (k=11) names phones/audio `electronics` and gaming `pc_components`
    res = _result(["electronics", "pc_components"], [phones, gaming], [49, 37])
    # ... after a k=3 run in which the gaming audience was called `electronics`
    prev = [{"segment": "electronics", "users": 40}]
    ch = match_previous(res, np.asarray([gaming], dtype=np.float32), prev)
    # same clustering -> same names as without the intermediate run; no `electronics_new`
    assert [s.name for s in res.segments] == ["electronics", "pc_components"]
    assert res.names == ["electronics", "pc_components"]
    # the change report says the gaming audience was called `electronics` before
    assert ch["same"] == [
        {"segment": "pc_components", "users_before": 40, "users": 37, "cosine": 1.0,
         "was": "electronics"}
    ]  # fmt: skip
    assert ch["new"] == [{"segment": "electronics", "users": 49}]
    assert ch["gone"] == []
