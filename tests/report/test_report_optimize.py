"""The report recommends a variant only from timings that can tell a gain from noise."""

from __future__ import annotations

from typing import Any

from ducky.report.optimize import analyse, recommendation


def _doc(runs: list[float], opt_runs: list[float], stages: list[Any] | None = None) -> Any:
    def rec(variant: str, r: list[float], speedup: float | None) -> dict[str, Any]:
        return {
            "engine": "duckdb",
            "query": "wau",
            "variant": variant,
            "runs": r,
            "median_s": sorted(r)[len(r) // 2],
            "parity": True,
            "setup_s": 0.0,
            "bottleneck": "READ_PARQUET",
            "speedup_vs_baseline": speedup,
            "stages": stages if variant != "baseline" else [],
        }

    sp = sorted(runs)[len(runs) // 2] / sorted(opt_runs)[len(opt_runs) // 2]
    return {"records": [rec("baseline", runs, None), rec("optimized", opt_runs, sp)]}


def test_one_millisecond_run_is_not_a_recommendation() -> None:
    (qo,) = analyse(_doc([0.0056], [0.0043]))
    text = recommendation(qo)
    assert "apply" not in text
    assert text.startswith("not enough evidence to recommend a variant (1 run (need 3))")


def test_three_runs_of_a_tiny_query_are_still_noise() -> None:
    (qo,) = analyse(_doc([0.0056, 0.0060, 0.0058], [0.0043, 0.0041, 0.0045]))
    assert qo.unreliable(qo.variants[0]) == "baseline 5.8 ms (under 50 ms)"
    assert "apply" not in recommendation(qo)


def test_measured_speedup_is_recommended() -> None:
    (qo,) = analyse(_doc([0.30, 0.32, 0.31], [0.10, 0.11, 0.10]))
    assert qo.unreliable(qo.variants[0]) is None
    assert recommendation(qo) == "apply the SQL rewrite (3.1x)"
