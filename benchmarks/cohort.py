"""Benchmark: cohort retention by the canonical SQL on DuckDB vs the Polars path.

    .venv/bin/python benchmarks/cohort.py --users 200000 --events 5000000 --runs 5

Writes a synthetic data directory once (cached under --workdir), checks that both paths give
the same tidy table, then times `ducky.cohort.tidy_table` end to end for each path (engine
open, Parquet scan, query, Arrow result) and prints medians. Figures: docs/benchmarks/cohort.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path


def make_data(path: Path, users: int, events: int, seed: int = 7) -> Path:
    """Users signing up over 12 months; events mostly after signup, decaying with time."""
    import numpy as np
    import pyarrow as pa

    from ducky.datasets import DataDir, DatasetWriter
    from ducky.schema import EVENT_TYPES, arrow_schema

    if DataDir(path).manifest_path.is_file():
        return path
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01")
    signup = start + rng.integers(0, 365, users).astype("timedelta64[D]")
    uid = rng.integers(0, users, events)
    # days after signup: exponential decay, a few events before signup (to be ignored)
    offset = np.floor(rng.exponential(20.0, events) - 1.0).astype("int64")
    day = signup[uid] + offset.astype("timedelta64[D]")
    secs = rng.integers(0, 86_400, events).astype("timedelta64[s]")
    ts = (day.astype("datetime64[s]") + secs).astype("datetime64[us]")
    keep = ts < np.datetime64("2025-03-01")
    uid, ts = uid[keep], ts[keep]
    kinds = np.array(EVENT_TYPES)[rng.choice(len(EVENT_TYPES), len(uid), p=[0.55, 0.15, 0.1, 0.2])]
    users_t = pa.table(
        {
            name: (
                pa.array(np.arange(users, dtype="int64") + 1)
                if name == "user_id"
                else pa.array(signup.astype("datetime64[D]"), pa.date32())
                if name == "signup_date"
                else pa.nulls(users, field.type)
            )
            for name, field in zip(arrow_schema("users").names, arrow_schema("users"), strict=True)
        },
        schema=arrow_schema("users"),
    )
    ev = pa.table(
        {
            "user_id": pa.array(uid + 1),
            "event_type": pa.array(kinds),
            "product_id": pa.nulls(len(uid), pa.int64()),
            "timestamp": pa.array(ts, pa.timestamp("us")),
        },
        schema=arrow_schema("events"),
    )
    month = ts.astype("datetime64[M]").astype(str)
    with DatasetWriter(path, producer="benchmarks.cohort") as w:
        w.write_table("users", users_t)
        for m in sorted(set(month.tolist())):
            w.write_partition("events", m, ev.filter(pa.array(month == m)))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ducky-bench-cohort"))
    a = ap.parse_args(argv)

    from ducky.cohort import tidy_table
    from ducky.datasets import DataDir

    data = DataDir(make_data(a.workdir / f"u{a.users}-e{a.events}", a.users, a.events))
    rows = data.manifest().rows("events")
    sql = tidy_table(data, "duckdb")
    py = tidy_table(data, "polars")
    same = sql.num_rows == py.num_rows and all(
        (x["retained"], x["complete"]) == (y["retained"], y["complete"])
        and (x["rate"] is None) == (y["rate"] is None)
        and (x["rate"] is None or abs(x["rate"] - y["rate"]) < 1e-12)
        for x, y in zip(sql.to_pylist(), py.to_pylist(), strict=True)
    )
    print(f"data: {a.users:,} users, {rows:,} events; tidy rows {sql.num_rows}; equal: {same}")
    if not same:
        print("the two paths disagree", file=sys.stderr)
        return 1
    times: dict[str, list[float]] = {"duckdb-sql": [], "polars": []}
    for _ in range(a.runs):
        for name, engine in (("duckdb-sql", "duckdb"), ("polars", "polars")):
            t0 = time.perf_counter()
            tidy_table(data, engine)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["duckdb-sql"])
    print(f"{'path':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'vs duckdb-sql':>14}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<12} {med:>9.3f} {min(ts):>7.3f} {max(ts):>7.3f} {med / base:>13.2f}x")
    print(f"runs: {a.runs}; date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
