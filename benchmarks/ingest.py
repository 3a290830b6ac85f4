"""Benchmark `ducky ingest`: rows/s for a CSV and an NDJSON events file, with every check on.

Generates users/products (small) and N events (numpy + pyarrow, 0.1% defects: orphans, bad
event types, duplicates) once under --workdir, then ingests them into a fresh directory
--repeat times and reports the median. Usage:

    .venv/bin/python benchmarks/ingest.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path


def generate(
    workdir: Path, rows: int, formats: tuple[str, ...] = ("csv", "ndjson"), seed: int = 7
) -> dict[str, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    workdir.mkdir(parents=True, exist_ok=True)
    out = {
        "users": workdir / "users.csv",
        "products": workdir / "products.csv",
        "csv": workdir / f"events-{rows}.csv",
        "ndjson": workdir / f"events-{rows}.ndjson",
    }
    out = {k: v for k, v in out.items() if k in ("users", "products", *formats)}
    if all(p.exists() for p in out.values()):
        return out
    rng = np.random.default_rng(seed)
    n_users, n_products = 100_000, 5_000
    users = pa.table(
        {
            "user_id": np.arange(1, n_users + 1),
            "signup_date": pa.array(
                np.datetime64("2024-01-01") + rng.integers(0, 365, n_users).astype("timedelta64[D]")
            ),
            "country": rng.choice(["US", "FR", "DE", "GB"], n_users),
        }
    )
    pacsv.write_csv(users, out["users"])
    products = pa.table(
        {
            "product_id": np.arange(1, n_products + 1),
            "category": rng.choice(["electronics", "home", "fashion"], n_products),
            "price": (rng.integers(100, 100_000, n_products) / 100).astype(str),
        }
    )
    pacsv.write_csv(products, out["products"])
    kinds = np.array(["viewed", "add-to-cart", "purchased", "login", "bogus"])
    k = rng.choice(5, rows, p=[0.6, 0.15, 0.1, 0.149, 0.001])
    user = rng.integers(1, n_users + 1, rows)
    user[rng.random(rows) < 0.001] = n_users + 7  # orphans
    prod = rng.integers(1, n_products + 1, rows).astype(float)
    prod[k == 3] = np.nan
    ts = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 86400 * 300, rows).astype(
        "timedelta64[s]"
    )
    ev = pa.table(
        {
            "user_id": user,
            "event_type": kinds[k],
            "product_id": pa.array(prod, from_pandas=True).cast(pa.int64()),
            "timestamp": pa.array(ts.astype("datetime64[us]")),
        }
    )
    ev = pa.concat_tables([ev, ev.slice(0, rows // 1000)])  # 0.1% exact duplicates
    if "csv" in out:
        pacsv.write_csv(ev, out["csv"])
    if "ndjson" not in out:
        return out
    with out["ndjson"].open("w") as f:
        for batch in ev.to_batches(500_000):
            d = batch.to_pydict()
            for u, t, p, s in zip(
                d["user_id"], d["event_type"], d["product_id"], d["timestamp"], strict=True
            ):
                f.write(
                    json.dumps(
                        {"user_id": u, "event_type": t, "product_id": p, "timestamp": s.isoformat()}
                    )
                    + "\n"
                )
    return out


def run_once(files: dict[str, Path], events: Path, target: Path) -> tuple[float, dict]:
    from ducky.ingest import run_ingest

    shutil.rmtree(target, ignore_errors=True)
    c0 = time.process_time()
    t0 = time.perf_counter()
    r = run_ingest(
        target,
        {"users": str(files["users"]), "products": str(files["products"]), "events": str(events)},
        fail_on="never",
    )
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    ev = next(a for a in r.accounts if a.table == "events")
    return dt, {**ev.to_dict(), "cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ducky-bench-ingest"))
    ap.add_argument("--formats", default="csv,ndjson")
    args = ap.parse_args()
    t0 = time.perf_counter()
    files = generate(args.workdir, args.rows, tuple(args.formats.split(",")))
    print(f"generated inputs in {time.perf_counter() - t0:.1f}s under {args.workdir}")
    for fmt in args.formats.split(","):
        times, cpus, acct = [], [], {}
        for _ in range(args.repeat):
            dt, acct = run_once(files, files[fmt], args.workdir / "data")
            times.append(dt)
            cpus.append(acct["cpu_s"])
        med = statistics.median(times)
        best = min(times)
        n = acct["rows_in"]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        size = files[fmt].stat().st_size / 1e6
        print(
            f"{fmt}: {n:,} event rows ({size:,.0f} MB) + 100,000 users + 5,000 products; "
            f"median {med:.2f}s of {[round(t, 2) for t in times]} -> {n / med:,.0f} rows/s "
            f"({60 * n / med / 1e6:,.1f}M rows/min); best {best:.2f}s -> {n / best:,.0f} rows/s; "
            f"loaded {acct['loaded']:,}, quarantined {acct['quarantined']:,}, "
            f"duplicates {acct['duplicates']:,}; CPU {statistics.median(cpus):.1f}s "
            f"(all threads); load average {load}"
        )


if __name__ == "__main__":
    main()
