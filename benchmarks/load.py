"""Benchmark: loading a data directory into PostgreSQL (`ducky load`), per transfer method.

    .venv/bin/python benchmarks/load.py --events 2000000 --repeat 3
    .venv/bin/python benchmarks/load.py --data data --repeat 3          # a `ducky gen` dataset
    .venv/bin/python benchmarks/load.py --dsn postgresql://... --json out.json

Without --data it writes a synthetic dataset of --events rows (numpy, seeded) once into
--cache and reuses it. Without --dsn it starts a throwaway local server
(ducky.engines.postgres.server) in a temporary folder and stops it at the end. Each
(method, run) is a full `load_datadir` call: one transaction, staging tables, keys, ANALYZE,
swap. Prints medians of rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def synthetic(path: Path, events: int, seed: int = 1) -> Path:
    """users/products/events with the canonical schema, written by the project's writer."""
    import numpy as np
    import pyarrow as pa

    from ducky.datasets import DataDir, DatasetWriter
    from ducky.schema import EVENT_TYPES, arrow_schema

    if (path / "manifest.json").is_file() and DataDir(path).manifest().rows("events") == events:
        return path
    rng = np.random.default_rng(seed)
    n_users, n_products = max(events // 50, 10), 5_000
    start = np.datetime64("2025-01-01T00:00:00", "us")
    users = pa.table(
        {
            "user_id": np.arange(1, n_users + 1, dtype=np.int64),
            "signup_date": (np.datetime64("2024-06-01") + rng.integers(0, 365, n_users)).astype(
                "datetime64[D]"
            ),
            "country": rng.choice(["US", "FR", "DE", "GB", "BR"], n_users),
            "name": [f"user {i}" for i in range(n_users)],
            "age": rng.integers(18, 80, n_users).astype(np.int32),
            "gender": rng.choice(["f", "m", "x"], n_users),
            "location": rng.choice(["California", "Texas", "Berlin", "Paris"], n_users),
            "plan": rng.choice(["free", "basic", "premium"], n_users),
            "device": rng.choice(["mobile", "desktop", "tablet"], n_users),
        }
    )
    cents = rng.integers(100, 100_000, n_products)
    products = pa.table(
        {
            "product_id": np.arange(1, n_products + 1, dtype=np.int64),
            "category": rng.choice(["electronics", "fashion", "home", "books", "toys"], n_products),
            "price": pa.array([Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(12, 2)),
            "name": [f"product {i}" for i in range(n_products)],
        }
    )
    with DatasetWriter(path, producer="benchmarks/load.py") as w:
        w.write_table("users", users.cast(arrow_schema("users")))
        w.write_table("products", products.cast(arrow_schema("products")))
        per_month = events // 12
        for m in range(12):
            n = per_month if m < 11 else events - per_month * 11
            month_start = start + np.timedelta64(31 * m, "D")
            kinds = rng.choice(np.array(EVENT_TYPES), n, p=[0.6, 0.15, 0.05, 0.2])
            pid = rng.integers(1, n_products + 1, n)
            ts = month_start + rng.integers(0, 28 * 86_400_000_000, n).astype("timedelta64[us]")
            month = str(month_start.astype("datetime64[M]"))
            w.write_partition(
                "events",
                month,
                pa.table(
                    {
                        "user_id": rng.integers(1, n_users + 1, n),
                        "event_type": kinds,
                        "product_id": pa.array(pid, mask=kinds == "login"),
                        "timestamp": pa.array(np.sort(ts), pa.timestamp("us")),
                    }
                ).cast(arrow_schema("events")),
            )
    return path


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds used by the local server's exited backends and its workers so far.

    A backend's CPU reaches the postmaster's children times only once it has exited and been
    reaped, so first wait (up to 10 s) until only the long-lived auxiliary processes remain.
    """
    if postmaster is None:
        return 0.0
    import psutil

    p = psutil.Process(postmaster)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = []
        for child in p.children():
            try:
                names.append(" ".join(child.cmdline()))
            except psutil.NoSuchProcess:
                continue
        if not any("postgres: postgres " in n for n in names):  # client backends
            break
        time.sleep(0.05)
    t = p.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in p.children():  # still-running auxiliaries (checkpointer, walwriter...)
        try:
            c = child.cpu_times()
            total += c.user + c.system
        except psutil.NoSuchProcess:
            pass
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, help="an existing data directory (default: synthetic)")
    ap.add_argument("--events", type=int, default=2_000_000, help="synthetic events (default 2M)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ducky-load-bench")
    ap.add_argument("--dsn", help="PostgreSQL DSN (default: a throwaway local server)")
    ap.add_argument("--methods", default="adbc,csv")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)

    from ducky.datasets import DataDir
    from ducky.engines.postgres.loader import load_datadir
    from ducky.engines.postgres.server import LocalServer

    data = args.data or synthetic(args.cache / f"events-{args.events}", args.events)
    dd = DataDir(data)
    manifest = dd.manifest()
    tables = ["users", "products", "events"]
    server_root = None
    dsn = args.dsn
    postmaster = None
    if dsn is None:
        server_root = Path(tempfile.mkdtemp(prefix="ducky-load-bench-"))
        local = LocalServer(server_root / "pg")
        dsn = local.start()
        postmaster = local.postmaster_pid()
    results: list[dict[str, Any]] = []
    try:
        for method in args.methods.split(","):
            runs = []
            for i in range(args.repeat):
                t0 = time.perf_counter()
                cpu0, srv0 = os.times(), server_cpu(postmaster)
                rep = load_datadir(dd, dsn, tables=tables, method=method)
                cpu1, srv1 = os.times(), server_cpu(postmaster)
                wall = time.perf_counter() - t0
                ev = next(t for t in rep.tables if t.table == "events")
                runs.append(
                    {
                        "seconds": rep.seconds,
                        "rows_per_s": rep.rows_per_s,
                        "events_copy_rows_per_s": ev.rows_per_s,
                        "client_cpu_s": (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system),
                        # CPU of the server's backends (reaped children of the postmaster):
                        # with the client's, what the load costs whatever else runs here.
                        "server_cpu_s": srv1 - srv0 if postmaster else None,
                        "vacuum_s": rep.vacuum_seconds,
                        "wall_s": wall,
                    }
                )
                print(
                    f"{method} run {i + 1}: {rep.rows:,} rows in {rep.seconds:.2f} s = "
                    f"{rep.rows_per_s:,.0f} rows/s (events COPY {ev.rows_per_s:,.0f} rows/s)",
                    flush=True,
                )
            med = statistics.median(r["rows_per_s"] for r in runs)
            cpu = [r["client_cpu_s"] + (r["server_cpu_s"] or 0.0) for r in runs]
            results.append(
                {
                    "method": method,
                    "rows": rep.rows,
                    "runs": runs,
                    "median_seconds": statistics.median(r["seconds"] for r in runs),
                    "median_rows_per_s": med,
                    "median_events_copy_rows_per_s": statistics.median(
                        r["events_copy_rows_per_s"] for r in runs
                    ),
                    "median_client_cpu_s": statistics.median(r["client_cpu_s"] for r in runs),
                    "median_server_cpu_s": statistics.median(
                        r["server_cpu_s"] or 0.0 for r in runs
                    ),
                    "rows_per_cpu_s": rep.rows / statistics.median(cpu) if any(cpu) else None,
                }
            )
    finally:
        if server_root is not None:
            LocalServer(server_root / "pg").stop()
            shutil.rmtree(server_root, ignore_errors=True)
    doc = {
        "data": str(data),
        "rows": {t: manifest.rows(t) for t in tables},
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}",
        "loadavg_end": os.getloadavg(),
        "results": results,
    }
    print("\nmethod  median s  median rows/s  events COPY rows/s  client CPU s  server CPU s")
    for r in results:
        print(
            f"{r['method']:<7} {r['median_seconds']:8.2f}  {r['median_rows_per_s']:13,.0f}  "
            f"{r['median_events_copy_rows_per_s']:18,.0f}  {r['median_client_cpu_s']:12.2f}  "
            f"{r['median_server_cpu_s']:12.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
