"""Time and peak memory of an audience spec with N `sequence` conditions inside an `any`.

Usage: python scripts/bench_audience_sequences.py DATA_DIR N [N ...]
Each N runs in a fresh child process so its peak RSS (ru_maxrss) is its own.
Why: issue 21 found N sequences cost far more than N times one (N=5: 6.6 s / 2.4 GB).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def spec(n: int) -> dict:
    # viewed -> viewed is the worst case for a self-join: many views per user
    conds = [
        {
            "type": "sequence",
            "first": {"event": "viewed"},
            "then": {"event": "viewed"},
            "within_days": 30 + i,
        }
        for i in range(n)
    ]
    return {"where": {"type": "any", "conditions": conds}, "count_only": True}


def child(datadir: str, n: int) -> None:
    from ducky.audience import parse_payload
    from ducky.audience.service import AudienceService
    from ducky.datasets import DataDir
    from ducky.engines import open_engine

    eng = open_engine("duckdb", DataDir(datadir))
    eng.connect()
    eng.load()
    svc = AudienceService(eng)
    t0 = time.perf_counter()
    total = svc.query(parse_payload(spec(n)).spec).total_count
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"n": n, "seconds": round(secs, 2), "peak_mb": round(peak_mb), "users": total}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        for n in sys.argv[2:]:
            subprocess.run([sys.executable, __file__, "--child", sys.argv[1], n], check=True)
