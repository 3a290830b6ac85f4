"""String ids vs integer ids at 10M events (issue 15): the same shop, ids stored two ways.

Both directories come from the same generator run parameters, so they hold the same events
with only the id type changed (the string one with `--string-ids`: "u000123", "p0042"):

    ducky --data /tmp/perf-10m gen --users 200000 --events 10000000 --seed 42
    ducky --data /tmp/data-str10m gen --users 200000 --events 10000000 --seed 42 --string-ids

Measured, interleaved (int, string, int, string, ...) so that the shared machine's load hits
both alike, `--repeat` times each, medians reported:
  1. `ducky --json query Q` as a subprocess (what a user waits for, CLI start included);
  2. the query's SQL alone on a warm engine (DuckDB over Parquet: a full scan each time).
Every pair of results must be equal (the metrics carry no ids). With `--profile DIR`, the
DuckDB EXPLAIN ANALYZE of each query on both directories is written there.

    flock /tmp/ducky-heavy.lock python benchmarks/string_ids.py \
        --int /tmp/perf-10m --str /tmp/data-str10m --repeat 5 --json /tmp/string_ids.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

QUERIES = ("wau", "revenue", "cohort")


def _cli(data: str, query: str, variant: str) -> tuple[float, Any]:
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "ducky", "--data", data, "--json", "query", query, "-V", variant],
        capture_output=True,
        text=True,
        check=False,
    )
    dt = time.perf_counter() - t0
    if p.returncode:
        raise SystemExit(f"{data} {query}: exit {p.returncode}: {p.stderr.strip()}")
    return dt, json.loads(p.stdout)["rows"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--int", dest="int_dir", default="/tmp/perf-10m")
    ap.add_argument("--str", dest="str_dir", default="/tmp/data-str10m")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--variants", default="baseline,optimized")
    ap.add_argument("--json", dest="json_out", default=None)
    ap.add_argument("--profile", default=None, help="folder for EXPLAIN ANALYZE outputs")
    a = ap.parse_args()
    dirs = {"int": a.int_dir, "string": a.str_dir}
    variants = a.variants.split(",")
    out: dict[str, Any] = {"dirs": dirs, "repeat": a.repeat, "cli": [], "sql": []}

    from ducky.datasets import DataDir

    for label, d in dirs.items():
        ids = DataDir(d).id_types()
        print(f"{label}: {d} ids {ids}", flush=True)

    # 1. the CLI, as a user runs it
    for q in QUERIES:
        for v in variants:
            times: dict[str, list[float]] = {k: [] for k in dirs}
            rows: dict[str, Any] = {}
            for _ in range(a.repeat):
                for label, d in dirs.items():
                    t, r = _cli(d, q, v)
                    times[label].append(t)
                    rows[label] = r
            same = rows["int"] == rows["string"]
            rec = {
                "query": q,
                "variant": v,
                **{f"{k}_s": statistics.median(x) for k, x in times.items()},
                "equal_results": same,
            }
            out["cli"].append(rec)
            print(json.dumps(rec), flush=True)

    # 2. the SQL alone, on warm engines (one per directory, kept open)
    from ducky.engines import open_engine

    engines = {k: open_engine("duckdb", DataDir(d)) for k, d in dirs.items()}
    try:
        for e in engines.values():
            e.connect()
            e.load()
        for q in QUERIES:
            for v in variants:
                sql = {k: e.render(q, v) for k, e in engines.items()}
                for k, e in engines.items():
                    e.run(sql[k])  # warm-up: file metadata, caches
                times = {k: [] for k in dirs}
                for _ in range(a.repeat):
                    for k, e in engines.items():
                        t0 = time.perf_counter()
                        e.run(sql[k])
                        times[k].append(time.perf_counter() - t0)
                rec = {"query": q, "variant": v}
                rec.update({f"{k}_ms": 1000 * statistics.median(x) for k, x in times.items()})
                rec["ratio"] = rec["string_ms"] / rec["int_ms"]
                out["sql"].append(rec)
                print(json.dumps(rec), flush=True)
                if a.profile and v == "optimized":
                    folder = Path(a.profile)
                    folder.mkdir(parents=True, exist_ok=True)
                    for k, e in engines.items():
                        (folder / f"{q}-{k}.txt").write_text(e.explain(sql[k], analyze=True))
    finally:
        for e in engines.values():
            e.close()
    out["threads"] = os.cpu_count()
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
