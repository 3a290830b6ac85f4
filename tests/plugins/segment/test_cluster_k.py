"""The choice of k: smallest k within one standard error (capped at 0.01) of the best."""

from __future__ import annotations

import numpy as np
import pytest

from ducky.plugins.segment import cluster


def test_pick_k_one_standard_error_capped() -> None:
    sil = {13: 0.299, 14: 0.311, 15: 0.319, 16: 0.296}
    # a precise estimate (3,000 users: SE ~0.003): 14 is 0.008 below, a real difference
    assert cluster.pick_k(sil, {k: 0.003 for k in sil}) == 15
    # a noisy estimate: the difference is within the cap (0.01), the smaller k wins
    assert cluster.pick_k(sil, {k: 0.05 for k in sil}) == 14
    # ties on the best go to the smaller k
    assert cluster.pick_k({3: 0.2, 4: 0.2}, {3: 0.0, 4: 0.0}) == 3


def test_silhouettes_come_with_their_standard_error() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, (4, 5))
    x = np.vstack([c + rng.normal(0, 1, (150, 5)) for c in centres]).astype(np.float32)
    sil, se = cluster._silhouettes(x, 0, range(2, 7))
    assert max(sil, key=lambda k: sil[k]) == 4
    assert all(0 < se[k] < 0.02 for k in sil)  # std of per-point silhouettes / sqrt(600)
    assert cluster.pick_k(sil, se) == 4


def test_k_below_two_or_not_a_number_is_one_clear_error() -> None:
    import pyarrow as pa
    import pytest

    from ducky.errors import UserError
    from ducky.plugins.segment import pipeline

    x = np.random.default_rng(0).normal(0, 1, (60, 5)).astype(np.float32)
    with pytest.raises(UserError, match=r"k = 1 segments is out of range for 60 users \(2..60\)"):
        cluster.cluster(x, 1, 0)
    # The pipeline refuses before reading anything (here: no logs, no data directory at all).
    for bad in ("x", 1, True, 2.5):
        with pytest.raises(UserError, match="is not a number of segments"):
            pipeline.segment(pa.table({}), None, None, k=bad)  # type: ignore[arg-type]


def test_python_and_cli_share_the_balance_default() -> None:
    import inspect

    from ducky.plugins.segment import pipeline
    from ducky.plugins.segment.cli import segment as segment_cmd
    from ducky.shop import Shop

    option = next(p for p in segment_cmd.params if p.name == "balance")
    assert option.default == pipeline.BALANCE == 0.3
    # Shop.segment(balance=None) means pipeline.BALANCE (a notebook run = a CLI run)
    assert inspect.signature(Shop.segment).parameters["balance"].default is None


def test_summary_says_which_k_was_chosen_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    # "silhouette 0.289 at k=12" under a "k=11" title read as a contradiction
    from ducky.plugins.segment.cli import _print_summary

    doc = {
        "k": 11, "users": 500, "model": "m", "segments": [], "run_id": "r",
        "distinct_queries": 9, "embedded_now": 0, "embedder": "local", "output": "o",
        "silhouette": {"10": 0.281, "11": 0.287, "12": 0.289},
    }  # fmt: skip
    _print_summary(doc)
    out = capsys.readouterr().out
    assert (
        "k=11 (silhouette 0.287): the smallest k within one standard error of the best, 0.289 "
        "at k=12 (k tried: 10..12)" in " ".join(out.split())
    )
    _print_summary(doc | {"k": 12})
    assert "silhouette 0.289 at k=12 (k tried: 10..12)" in capsys.readouterr().out
