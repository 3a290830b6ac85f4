"""Spark engine benchmark: session start-up, the effect of Spark's settings, and DuckDB vs Spark.

    .venv/bin/python benchmarks/spark.py --data /path/to/data [--repeat 3] [--skip-bench]

Three parts, each printed as a Markdown table (docs/benchmarks/spark.md records the figures):

1. start-up: a fresh process opening a local[2] Spark engine (JVM + SparkContext + session),
   median of --starts runs;
2. settings: the canonical weekly-active-users query (`wau`, optimized) on the data, with Spark's
   own defaults (200 shuffle partitions, 1 GB driver), ducky's local defaults (2 x cores
   partitions, 2 GB) and the issue's tuned figures (8 partitions, 4 GB); median of --repeat
   runs after one warm-up run, on one JVM restarted per setting (driver memory is fixed at JVM
   start);
3. `ducky bench --engine duckdb,spark` (the project's bench, parity-checked against DuckDB)
   for the chosen variants; its medians side by side with the Spark/DuckDB ratio;
4. --pruning (only this part with --only-pruning): a one-month revenue query (`revenue
   --from M-01 --to next-M-01`, optimized) on Spark with the month-folder pruning on and off
   (`-o prune_months=false`), same JVM, results checked equal to DuckDB's; median of --repeat
   runs after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SETTINGS: list[tuple[str, dict[str, str]]] = [
    (
        "Spark defaults (200 shuffle partitions, 1 GB driver)",
        {"conf.spark.sql.shuffle.partitions": "200", "driver_memory": "1g"},
    ),
    ("ducky local defaults (4 partitions on 2 cores, 2 GB driver)", {}),
    (
        "issue's tuning (8 partitions, 4 GB driver)",
        {"conf.spark.sql.shuffle.partitions": "8", "driver_memory": "4g"},
    ),
]

START_SNIPPET = """
import time
t0 = time.perf_counter()
from ducky.datasets import DataDir
from ducky.engines.spark import SparkEngine
e = SparkEngine(DataDir('.'), master='local[2]')
e.connect()
print(time.perf_counter() - t0)
e.close()
"""


def startup(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        p = subprocess.run(
            [sys.executable, "-c", START_SNIPPET], capture_output=True, text=True, check=True
        )
        out.append(float(p.stdout.strip().splitlines()[-1]))
    return out


def settings_sweep(data: Path, repeat: int) -> list[tuple[str, float, list[float]]]:
    from ducky.datasets import DataDir
    from ducky.engines.spark import SparkEngine, stop_spark

    rows = []
    for label, options in SETTINGS:
        engine = SparkEngine(DataDir(data), master="local[2]", **options)
        engine.connect()  # restarts the JVM when the driver memory differs
        engine.load()
        sql = engine.render("wau")
        engine.run(sql)  # warm-up
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            engine.run(sql)
            runs.append(time.perf_counter() - t0)
        rows.append((label, statistics.median(runs), runs))
        engine.close()
    stop_spark()
    return rows


def pruning(data: Path, repeat: int, month: str) -> list[tuple[str, float, list[float], str]]:
    """(label, median s, runs, what was read) for a one-month revenue query."""
    import datetime as dt

    from ducky.datasets import DataDir
    from ducky.engines import open_engine
    from ducky.engines.spark import SparkEngine, month_span, stop_spark

    first = dt.date.fromisoformat(month + "-01")
    after = (first + dt.timedelta(days=32)).replace(day=1)
    params = {"date_from": first.isoformat(), "date_to": after.isoformat()}
    dd = DataDir(data)
    with open_engine("duckdb", dd) as duck:
        duck.load()
        want = duck.query("revenue", "optimized", **params)
    span = month_span(params["date_from"], params["date_to"])
    assert span is not None
    months = dd.months("events")
    kept = [m for m in months if span[0] <= m <= span[1]]
    files = {m: len(list((data / "events" / f"month={m}").glob("*.parquet"))) for m in months}
    rows = []
    for label, prune in (("pruning off (all folders)", "false"), ("pruning on", "true")):
        engine = SparkEngine(dd, master="local[2]", prune_months=prune)
        engine.connect()
        engine.load()
        sql = engine.render("revenue", "optimized", **params)
        got = engine.run(sql)  # warm-up, and the parity check
        if not got.equals(want):
            raise SystemExit(f"PARITY FAILURE with prune_months={prune}")
        plan = engine.explain(sql, analyze=False)
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            engine.run(sql)
            runs.append(time.perf_counter() - t0)
        chosen = kept if prune == "true" else months
        read = f"{len(chosen)} of {len(months)} months, {sum(files[m] for m in chosen)} files"
        if prune == "true" and "PartitionFilters: [isnotnull(month" not in plan:
            raise SystemExit("the pruned plan shows no PartitionFilters")
        rows.append((label, statistics.median(runs), runs, read))
        engine.close()
    stop_spark()
    return rows


def bench(data: Path, variants: str, repeat: int) -> dict[str, dict[str, float]]:
    out_dir = Path(tempfile.mkdtemp(prefix="ducky-spark-bench-"))
    cmd = [
        sys.executable,
        "-m",
        "ducky",
        "--data",
        str(data),
        "bench",
        "--engine",
        "duckdb,spark",
        "--variant",
        variants,
        "--repeat",
        str(repeat),
        "--out",
        str(out_dir),
    ]
    subprocess.run(cmd, check=True, cwd=REPO)
    results = json.loads((out_dir / "latest.json").read_text())
    table: dict[str, dict[str, float]] = {}
    for r in results["records"]:
        if not r["parity"]:
            print(f"PARITY FAILURE {r['engine']} {r['query']} {r['variant']}: {r['parity_detail']}")
        table.setdefault(f"{r['query']} / {r['variant']}", {})[r["engine"]] = r["median_s"]
    print(f"(bench output in {out_dir})")
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="a ducky data directory")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--starts", type=int, default=3, help="start-up measurements")
    ap.add_argument("--variants", default="baseline,optimized,rollup")
    ap.add_argument("--skip-startup", action="store_true")
    ap.add_argument("--skip-settings", action="store_true")
    ap.add_argument("--skip-bench", action="store_true")
    ap.add_argument("--pruning", action="store_true", help="also measure month pruning")
    ap.add_argument("--only-pruning", action="store_true", help="measure month pruning only")
    ap.add_argument("--month", default="2025-06", help="the month the pruning query asks for")
    args = ap.parse_args()
    if args.only_pruning:
        args.pruning = args.skip_startup = args.skip_settings = args.skip_bench = True
    manifest = json.loads((args.data / "manifest.json").read_text())
    print(f"data: {args.data} ({manifest['tables']['events']['rows']:,} events), ", end="")
    print(f"{os.cpu_count()} CPUs\n")

    if not args.skip_startup:
        runs = startup(args.starts)
        print("| local[2] engine start (fresh process) | median s | runs |\n|---|---:|---|")
        print(
            f"| JVM + SparkContext + session | {statistics.median(runs):.1f} | "
            f"{', '.join(f'{r:.1f}' for r in runs)} |\n"
        )
    if not args.skip_settings:
        print("| wau (optimized), Spark local[2] | median s | runs |\n|---|---:|---|")
        for label, med, runs in settings_sweep(args.data, args.repeat):
            print(f"| {label} | {med:.2f} | {', '.join(f'{r:.2f}' for r in runs)} |")
        print()
    if not args.skip_bench:
        table = bench(args.data, args.variants, args.repeat)
        print("| query / variant | DuckDB s | Spark local s | Spark / DuckDB |")
        print("|---|---:|---:|---:|")
        for key, engines in table.items():
            d, s = engines.get("duckdb"), engines.get("spark")
            ratio = f"{s / d:.0f}x" if d and s else "-"
            print(
                f"| {key} | {d:.3f} | {s:.2f} | {ratio} |"
                if d and s
                else f"| {key} | {d} | {s} | - |"
            )
    if args.pruning:
        rows = pruning(args.data, args.repeat, args.month)
        print(f"\n| revenue {args.month} (optimized), Spark local[2] | median s | runs | read |")
        print("|---|---:|---|---|")
        for label, med, runs, read in rows:
            print(f"| {label} | {med:.2f} | {', '.join(f'{r:.2f}' for r in runs)} | {read} |")
        print(f"\npruning on is {rows[0][1] / rows[1][1]:.1f}x faster than off")


if __name__ == "__main__":
    main()
