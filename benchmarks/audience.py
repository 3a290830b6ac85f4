"""Benchmark: latency of the example audiences through the HTTP API (real uvicorn, loopback).

    .venv/bin/ducky --data /tmp/bench1m gen --users 1000000 --events 15000000 --months 3
    .venv/bin/python benchmarks/audience.py --data /tmp/bench1m --engine duckdb --runs 7
    .venv/bin/python benchmarks/audience.py --data /tmp/bench1m --engine duckdb -o mode=native
    .venv/bin/python benchmarks/audience.py --data /tmp/bench1m --engine postgres

For every example of GET /audiences/examples: one warm-up request, then --runs timed POSTs of
/audiences/query (a page of 1,000 users plus the total), reporting p50 / p95 of the wall time
seen by the client. As a baseline, the seed's own SQL for its two required segments is timed
directly on the same engine connection (no API, no compiler): the ratio is the price of the
spec, the compiler and HTTP. Figures: docs/benchmarks/audience.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

# The seed's SQL for its two required segments, on ducky's table and event names.
SEED_SQL = {
    "age_25_34": "SELECT user_id, name, age FROM users WHERE age >= 25 AND age <= 34 "
    "ORDER BY user_id",
    "california_login": "SELECT DISTINCT ua.user_id, ua.name, ua.location FROM users ua "
    "INNER JOIN events ue ON ua.user_id = ue.user_id WHERE ua.location = 'California' "
    "AND ue.event_type = 'login' ORDER BY ua.user_id",
}


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q * (len(s) - 1))))
    return s[k]


def serve(app: Any) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--engine", default="duckdb")
    p.add_argument("-o", "--engine-option", action="append", default=[], help="KEY=VALUE")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    args = p.parse_args(argv)

    import httpx

    from ducky.api import create_app
    from ducky.audience.compiler import render  # noqa: F401  (import cost outside the timing)
    from ducky.queries import parse_engine_options

    options = parse_engine_options(args.engine_option)
    t0 = time.perf_counter()
    app = create_app(args.data, args.engine, **options)
    open_s = time.perf_counter() - t0
    server, thread, url = serve(app)
    service = app.state.service
    results: list[dict[str, Any]] = []
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            examples = client.get("/audiences/examples").json()
            for ex in examples:
                body = json.dumps(ex["spec"])
                first = client.post("/audiences/query", content=body)
                first.raise_for_status()
                times = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    r = client.post("/audiences/query", content=body)
                    times.append(time.perf_counter() - t)
                    r.raise_for_status()
                row: dict[str, Any] = {
                    "example": ex["name"],
                    "users": r.json()["total_count"],
                    "p50_s": statistics.median(times),
                    "p95_s": percentile(times, 0.95),
                }
                if ex["name"] in SEED_SQL:
                    sql = SEED_SQL[ex["name"]]
                    service._run(sql)  # warm-up
                    base = []
                    for _ in range(args.runs):
                        t = time.perf_counter()
                        service._run(sql)
                        base.append(time.perf_counter() - t)
                    row["seed_sql_p50_s"] = statistics.median(base)
                results.append(row)
    finally:
        server.should_exit = True
        thread.join(timeout=60)
    manifest = json.loads((args.data / "manifest.json").read_text())["tables"]
    meta = {
        "engine": args.engine,
        "options": options,
        "users": manifest["users"]["rows"],
        "events": manifest["events"]["rows"],
        "runs": args.runs,
        "open_and_load_s": round(open_s, 2),
    }
    if args.json:
        print(json.dumps({**meta, "results": results}, indent=2))
        return 0
    print(
        f"engine {args.engine} {options or ''}: {meta['users']:,} users, {meta['events']:,} "
        f"events, {args.runs} runs per example, open+load {open_s:.1f} s"
    )
    print("| example | users | p50 (s) | p95 (s) | seed SQL p50 (s) | API / seed SQL |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        base = r.get("seed_sql_p50_s")
        ratio = f"{r['p50_s'] / base:.1f}x" if base else ""
        base_s = f"{base:.3f}" if base else ""
        print(
            f"| {r['example']} | {r['users']:,} | {r['p50_s']:.3f} | {r['p95_s']:.3f} | "
            f"{base_s} | {ratio} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
