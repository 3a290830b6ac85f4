"""Bounded memory: the generator streams month by month, so its peak memory depends on the
volume of one month, not on the whole period (measured in fresh subprocesses, not timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = """
import json, resource, sys
from ducky.datasets.generator import generate
m = generate(sys.argv[1], months=int(sys.argv[2]), events=int(sys.argv[3]), users=20_000,
             products=2_000, seed=3)
print(json.dumps({"events": m.rows("events"),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
PER_MONTH = 150_000


def _peak(path: Path, months: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(months), str(months * PER_MONTH)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_peak_memory_depends_on_one_month_not_the_whole_period(tmp_path: Path) -> None:
    short = _peak(tmp_path / "short", 2)  # 300k events
    long = _peak(tmp_path / "long", 16)  # 2.4M events, same volume per month and users
    assert long["events"] > 7 * short["events"]
    # Holding 2.1M more events (even at a compact 25 bytes each, plus the per-event
    # temporaries of the session model, > 150 bytes) would add > 300 MB. Streaming adds only
    # what grows with the period: a few per-day arrays and the manifest's timestamp scan
    # (8 bytes per event, in ducky.datasets.writer).
    assert long["peak_mb"] < short["peak_mb"] + 80, (short, long)
