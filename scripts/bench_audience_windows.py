"""Does a huge window cost more than a small one? Time and peak memory of audience specs whose
only difference is the window size (issue 21 asks for window sizes in the complexity budget).

Usage: python scripts/bench_audience_windows.py DATA_DIR
Each spec runs in a fresh child process so its peak RSS (ru_maxrss) is its own. The windows are
1 day (or 0.01 day) against MAX_DAYS (100 years); "none" is the same condition with no window,
which the budget already allows and counts as one pass over `events`.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

from ducky.audience.spec import MAX_DAYS

SEQ = {"type": "sequence", "first": {"event": "viewed"}, "then": {"event": "viewed"}}


def spec(kind: str, size: str) -> dict:
    days = {"small": 1, "huge": MAX_DAYS}
    if kind == "sequence x5":  # within_days: how far after the first step the second may be
        within = {"small": 0.01, "huge": float(MAX_DAYS)}[size]
        conds = [{**SEQ, "within_days": within - i * 1e-4} for i in range(5)]
    elif kind == "sequence x5 + window":
        w = {} if size == "none" else {"window": {"last_days": days[size]}}
        conds = [{**SEQ, "within_days": 30 + i, **w} for i in range(5)]
    elif kind == "event x20 + window":
        w = {} if size == "none" else {"window": {"last_days": days[size]}}
        conds = [{"type": "event", "event": "viewed", "count": 1 + i, **w} for i in range(20)]
    else:  # cart abandonment x5, within_days
        w = {} if size == "none" else {"within_days": {"small": 0.01, "huge": 36500.0}[size]}
        conds = [{"type": "cart_abandonment", "category": None, **w} for _ in range(5)]
        for i, c in enumerate(conds):
            c.pop("category")
            if "within_days" in c:
                c["within_days"] -= i * 1e-4
    return {"where": {"type": "any", "conditions": conds}, "count_only": True}


def child(datadir: str, kind: str, size: str) -> None:
    from ducky.audience import parse_payload
    from ducky.audience.service import AudienceService
    from ducky.datasets import DataDir
    from ducky.engines import open_engine

    eng = open_engine("duckdb", DataDir(datadir))
    eng.connect()
    eng.load()
    svc = AudienceService(eng)
    t0 = time.perf_counter()
    total = svc.query(parse_payload(spec(kind, size)).spec).total_count
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"spec": kind, "window": size, "seconds": round(secs, 2),
                      "peak_mb": round(peak_mb), "users": total}))  # fmt: skip


KINDS = ("sequence x5", "sequence x5 + window", "event x20 + window", "cart abandonment x5")

if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        for kind in KINDS:
            sizes = ("small", "huge") if kind == "sequence x5" else ("small", "huge", "none")
            for size in sizes:
                cmd = [sys.executable, __file__, "--child", sys.argv[1], kind, size]
                subprocess.run(cmd, check=True)
