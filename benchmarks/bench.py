"""Reproducible `ducky bench` record: generate (once) a dataset, run the bench, print Markdown.

    python benchmarks/bench.py --data /tmp/bench10m --events 10000000 --repeat 3 \
        --engines duckdb,duckdb-native,postgres

It runs the real CLI (`ducky gen`, `ducky bench`), so the figures are what a user gets. The
Markdown tables it prints (results, stages, bottlenecks) are pasted into
docs/benchmarks/bench.md and docs/OPTIMIZATION.md. Without --dsn / DUCKY_PG_DSN, PostgreSQL is
ducky's local server under <data>/.ducky/pg: stop it afterwards with `ducky --data D pg stop`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def ducky(*args: str) -> None:
    cmd = [sys.executable, "-m", "ducky", *args]
    print("$ ducky " + " ".join(args), file=sys.stderr)
    subprocess.run(cmd, check=True)


def secs(s: float) -> str:
    return f"{s * 1000:,.1f} ms" if s < 1 else f"{s:,.2f} s"


def markdown(doc: dict[str, Any]) -> str:
    out = [
        f"Dataset: {doc['dataset']['events']:,} events, {doc['dataset']['users']:,} users, "
        f"{doc['dataset']['products']:,} products. Machine: {doc['machine']['cpus']} CPUs, "
        f"{doc['machine']['platform']}. Median of {doc['repeat']} runs after a warm-up.",
        "",
        "| engine | query | variant | median | min–max | setup (build) | vs baseline "
        "| vs fastest | parity |",
        "|---|---|---|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in doc["records"]:
        vs = f"{r['speedup_vs_baseline']:.1f}x" if r["speedup_vs_baseline"] else ""
        slower = 1 / r["speedup_vs_fastest"]
        out.append(
            f"| {r['engine']} | {r['query']} | {r['variant']} | {secs(r['median_s'])} | "
            f"{secs(r['min_s'])}–{secs(r['max_s'])} | "
            f"{secs(r['setup_s']) if r['setup_s'] else ''} | {vs} | "
            f"{'fastest' if slower < 1.0001 else f'{slower:.1f}x slower'} | "
            f"{'ok' if r['parity'] else 'MISMATCH'} |"
        )
    out += ["", "| engine | connect | load |", "|---|---:|---:|"]
    for name, e in doc["engines"].items():
        st = {s["stage"]: s for s in e["stages"]}
        skipped = " (already loaded)" if st["load"]["detail"].get("skipped") else ""
        out.append(
            f"| {name} | {secs(st['connect']['seconds'])} | "
            f"{secs(st['load']['seconds'])}{skipped} |"
        )
    out += [
        "",
        "| engine | query | variant | built | seconds | rows | size |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for r in doc["records"]:
        for s in r["stages"]:
            if s["stage"] in ("index", "rollup", "analyze"):
                d = s["detail"]
                size = f"{d['bytes'] / 2**20:,.1f} MB" if d.get("bytes") else ""
                rows = f"{d['rows']:,}" if d.get("rows") is not None else ""
                what = d.get("object") or d.get("sql", "")[:40]
                out.append(
                    f"| {r['engine']} | {r['query']} | {r['variant']} | {s['stage']} {what} | "
                    f"{s['seconds']:.2f} | {rows} | {size} |"
                )
    out += [
        "",
        "| engine | query | variant | bottleneck (from the saved plan) |",
        "|---|---|---|---|",
    ]
    for r in doc["records"]:
        out.append(f"| {r['engine']} | {r['query']} | {r['variant']} | {r['bottleneck']} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/bench10m"))
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--engines", default="duckdb,duckdb-native,postgres")
    ap.add_argument("--queries", default="wau,revenue,cohort")
    ap.add_argument("--variants", default="baseline,optimized,rollup")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="copy of the results JSON")
    ap.add_argument("--markdown-only", action="store_true", help="only re-print the tables")
    args = ap.parse_args()
    latest = args.data / "bench" / "latest.json"
    if not args.markdown_only:
        if not (args.data / "manifest.json").is_file():
            ducky(
                "--data", str(args.data), "gen", "--events", str(args.events),
                "--months", str(args.months), "--seed", str(args.seed), "--force",
            )  # fmt: skip
        bench = ["--data", str(args.data), "bench", "-e", args.engines, "-q", args.queries]
        bench += ["-V", args.variants, "-n", str(args.repeat)]
        if args.json:
            bench += ["--json", str(args.json)]
        ducky(*bench)
    print(markdown(json.loads(latest.read_text())))


if __name__ == "__main__":
    main()
