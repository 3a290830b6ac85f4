"""Benchmark: `ducky gen` at 1M, 10M and 100M events, then DuckDB metric queries on the result.

    .venv/bin/python benchmarks/gen.py                       # 1M and 10M
    .venv/bin/python benchmarks/gen.py --sizes 1e6 1e7 1e8   # and 100M (needs ~2 GB disk)

For each size, generation runs in a fresh subprocess (12 months from 2025-01-01, default users
= events / 50, seed 42) that reports wall time, CPU time (all threads), peak RSS
(getrusage ru_maxrss) and bytes on disk. Then, in another fresh subprocess, the canonical
optimized wau / revenue / cohort SQL runs on DuckDB over the Parquet files (views, the default
mode): each query --runs times, median reported, with the engine opened and loaded once.
Figures go to docs/benchmarks/gen.md; raw results to --out (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

GEN_CHILD = """
import json, resource, sys, time
from ducky.datasets.generator import generate
from ducky.datasets.generator.pipeline import output_size
path, events = sys.argv[1], int(float(sys.argv[2]))
w0, c0 = time.perf_counter(), time.process_time()
m = generate(path, events=events, months=12, seed=42)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
print(json.dumps({
    "events": m.rows("events"), "users": m.rows("users"), "searches": m.rows("search_logs"),
    "wall_s": wall, "cpu_s": cpu, "events_per_s": m.rows("events") / wall,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "bytes_on_disk": output_size(path),
    "event_bytes": output_size(path + "/events"),
}))
"""

QUERY_CHILD = """
import json, statistics, sys, time
from ducky.datasets import DataDir
from ducky.engines import open_engine
path, runs = sys.argv[1], int(sys.argv[2])
out = {}
with open_engine("duckdb", DataDir(path)) as eng:
    eng.load()
    for name in ("wau", "revenue", "cohort"):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = eng.query(name).num_rows
            times.append(time.perf_counter() - t0)
        out[name] = {"median_s": statistics.median(times), "runs": times, "rows": rows}
print(json.dumps(out))
"""


def run_child(code: str, *args: str) -> dict[str, Any]:
    p = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=3600
    )
    if p.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7])
    ap.add_argument("--runs", type=int, default=3, help="query runs per size (median)")
    ap.add_argument("--gen-runs", type=int, default=1, help="generation runs per size (median)")
    ap.add_argument("--workdir", type=Path, default=Path("bench-out/gen"))
    ap.add_argument("--out", type=Path, default=Path("bench-out/gen.json"))
    ap.add_argument("--keep", action="store_true", help="keep the generated directories")
    args = ap.parse_args()

    results = []
    for size in args.sizes:
        path = args.workdir / f"events-{int(size):d}"
        gens = []
        for _ in range(args.gen_runs):
            shutil.rmtree(path, ignore_errors=True)
            gens.append(run_child(GEN_CHILD, str(path), str(int(size))))
        gen = dict(gens[-1])
        for key in ("wall_s", "cpu_s", "peak_rss_mb"):
            gen[key] = statistics.median(g[key] for g in gens)
        gen["events_per_s"] = gen["events"] / gen["wall_s"]
        queries = run_child(QUERY_CHILD, str(path), str(args.runs))
        results.append({"size": int(size), "generate": gen, "duckdb": queries})
        print(
            f"{int(size):>11,} events: gen {gen['wall_s']:.1f} s wall / {gen['cpu_s']:.1f} s CPU "
            f"({gen['events_per_s'] / 1e6:.2f} M events/s), peak RSS {gen['peak_rss_mb']:.0f} MB, "
            f"{gen['bytes_on_disk'] / 1e6:.0f} MB on disk; DuckDB "
            + ", ".join(f"{q} {r['median_s']:.3f} s" for q, r in queries.items()),
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    doc = {"cpus": os.cpu_count(), "loadavg_after": load, "results": results}
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"load average after the run: {load[0]:.1f} (on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
