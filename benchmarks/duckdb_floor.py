"""Benchmark: how far below the canonical queries a DuckDB full scan can go on this machine.

Times (median of --runs after a warm-up) the building blocks of WAU, revenue and cohort on a
data directory, from the Parquet files and from an in-memory copy, to show where the time of a
full-scan answer goes (docs/BENCHMARKS.md, issue 3):

    python benchmarks/duckdb_floor.py --data /tmp/qgen/events-100000000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

WEEK = "CAST(DATE_TRUNC('week', \"timestamp\") AS DATE)"
EPOCH_WEEK = '(epoch_us("timestamp") + 259200000000) // 604800000000'

PARQUET = {
    "scan user_id + timestamp": 'SELECT COUNT(*), MAX(user_id), MAX("timestamp") FROM events',
    "GROUP BY week, COUNT(*)": f"SELECT {WEEK} AS w, COUNT(*) FROM events GROUP BY 1",
    "count purchases": "SELECT COUNT(*) FROM events WHERE event_type = 'purchased'",
    "purchases' user_id + product_id": (
        "SELECT COUNT(*), SUM(user_id), SUM(product_id) FROM events WHERE event_type = 'purchased'"
    ),
    "buyers per category (distinct)": (
        "SELECT p.category, COUNT(DISTINCT e.user_id) FROM events e JOIN products p "
        "USING (product_id) WHERE e.event_type = 'purchased' GROUP BY 1"
    ),
    "events joined to signup (cohort window)": (
        "SELECT COUNT(*) FROM events e JOIN users u USING (user_id) "
        'WHERE e."timestamp" >= CAST(u.signup_date AS TIMESTAMP) '
        'AND e."timestamp" < CAST(u.signup_date AS TIMESTAMP) + TO_DAYS(63)'
    ),
}
MEMORY = {
    "in-memory GROUP BY SMALLINT week column, COUNT(*)": "SELECT wk, COUNT(*) FROM tt GROUP BY 1",
    "in-memory GROUP BY week expression, COUNT(*)": (
        f"SELECT {WEEK} AS w, COUNT(*) FROM tt GROUP BY 1"
    ),
    "in-memory distinct users per week (bitstring_agg)": (
        "SELECT wk, BIT_COUNT(BITSTRING_AGG(user_id, {lo}, {hi})) FROM tt GROUP BY 1"
    ),
    "in-memory COUNT(DISTINCT user_id) per week": (
        "SELECT wk, COUNT(DISTINCT user_id) FROM tt GROUP BY 1"
    ),
}


def main() -> None:
    from ducky.datasets import DataDir
    from ducky.engines.duckdb import DuckDBEngine

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    eng = DuckDBEngine(DataDir(args.data))
    eng.load()
    con = eng.con

    def timed(label: str, sql: str) -> None:
        con.execute(sql).fetchall()
        ts = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            con.execute(sql).fetchall()
            ts.append(time.perf_counter() - t0)
        print(f"{label:55s} {statistics.median(ts):7.3f} s", flush=True)

    for label, sql in PARQUET.items():
        timed(label, sql)
    con.execute(
        f'CREATE TABLE tt AS SELECT "timestamp", user_id, CAST({EPOCH_WEEK} AS SMALLINT) AS wk '
        "FROM events"
    )
    lo, hi = con.execute("SELECT MIN(user_id), MAX(user_id) FROM tt").fetchall()[0]
    for label, sql in MEMORY.items():
        timed(label, sql.format(lo=lo, hi=hi))


if __name__ == "__main__":
    main()
