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
    if doc.get("comparisons"):
        out += ["", *comparison_markdown(doc["comparisons"])]
    return "\n".join(out)


def mb(n: int | None) -> str:
    return f"{n / 1e6:,.1f} MB" if n else ""


def comparison_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """Baseline vs optimized (indexes, rewrites) vs maintained rollup, with what each costs."""
    out = [
        "| engine | query | baseline | optimized | index build, size | rollup | rollup build, "
        "size | insert rows/s without → with the rollup trigger |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in rows:

        def timed(name: str, c: dict[str, Any] = c) -> str:
            if f"{name}_s" not in c:
                return ""
            return f"{secs(c[f'{name}_s'])} ({c[f'{name}_speedup']:,.1f}x)"

        inserts = ""
        if c.get("insert_rows"):
            inserts = (
                f"{c['insert_rows_per_s_without_trigger']:,.0f} → "
                f"{c['insert_rows_per_s_with_trigger']:,.0f} ({c['insert_rows']:,} rows; "
                f"+{c['trigger_overhead_us_per_row']:.2f} µs/row)"
            )
        out.append(
            f"| {c['engine']} | {c['query']} | {secs(c['baseline_s'])} | {timed('optimized')} | "
            f"{secs(c.get('optimized_build_s') or 0)}, {mb(c.get('optimized_bytes'))} | "
            f"{timed('rollup')} | {secs(c.get('rollup_build_s') or 0)}, "
            f"{mb(c.get('rollup_bytes'))} | {inserts} |"
        )
    return out


def rollup_costs(data: Path, rows: int, repeat: int) -> list[dict[str, Any]]:
    """PostgreSQL maintained rollups on their own (no ducky_opt_* indexes on events): build time
    and size, freshness check, query time, and INSERT throughput without and with each
    rollup's trigger (ducky.engines.postgres.maintenance; inserts rolled back)."""
    import statistics
    import time

    from ducky.datasets import DataDir
    from ducky.engines.postgres import PostgresEngine
    from ducky.engines.postgres.maintenance import measure_insert_cost
    from ducky.engines.postgres.rollups import PostgresRollups
    from ducky.engines.rollups import ensure_fresh
    from ducky.rollups import ROLLUP_QUERIES

    out = []
    with PostgresEngine(DataDir(data)) as eng:
        eng.load()
        eng.prepare("wau", "baseline")  # drops every ducky_opt_* index: the trigger alone
        store = PostgresRollups(eng)
        for q in ROLLUP_QUERIES:
            t0 = time.perf_counter()
            store.build(q)
            build_s = time.perf_counter() - t0
            st = store.status(q)
            checks, queries = [], []
            sql = eng.render(q, "rollup")
            for _ in range(repeat):
                t1 = time.perf_counter()
                ensure_fresh(eng, q)
                checks.append(time.perf_counter() - t1)
                t2 = time.perf_counter()
                eng.run(sql)
                queries.append(time.perf_counter() - t2)
            cost = measure_insert_cost(eng, q, rows=rows, repeat=repeat)
            out.append(
                {
                    "query": q,
                    "build_s": build_s,
                    "base_rows": st.rows,
                    "bytes": st.bytes,
                    "fresh_check_s": statistics.median(checks),
                    "query_s": statistics.median(queries),
                    **cost,
                }
            )
    return out


def rollup_markdown(rows: list[dict[str, Any]]) -> str:
    out = [
        "| rollup | build | base rows | size | freshness check | query | insert rows/s "
        "without → with trigger | overhead |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['query']} | {secs(r['build_s'])} | {r['base_rows']:,} | {mb(r['bytes'])} | "
            f"{secs(r['fresh_check_s'])} | {secs(r['query_s'])} | "
            f"{r['without_trigger_rows_per_s']:,.0f} → {r['with_trigger_rows_per_s']:,.0f} "
            f"({r['rows']:,} rows) | {r['slowdown']:.2f}x, +{r['overhead_us_per_row']:.2f} µs/row |"
        )
    return "\n".join(out)


_W = "CAST(DATE_TRUNC('WEEK', \"timestamp\") AS DATE)"
_BOUNDS = (
    'bounds AS (SELECT CAST(MIN("timestamp") AS DATE) AS first_day, '
    'CAST(MAX("timestamp") AS DATE) AS last_day FROM events)'
)
_TAIL = (
    "SELECT w.week_start, CAST(w.active_users AS BIGINT) AS active_users, "
    "(w.week_start >= b.first_day AND (b.last_day - w.week_start) >= 6) AS complete "
    "FROM weekly AS w CROSS JOIN bounds AS b ORDER BY w.week_start"
)
# PostgreSQL WAU shapes tried without a rollup (docs/OPTIMIZATION.md), with session settings.
WAU_SHAPES: dict[str, tuple[str, list[str]]] = {
    "count_distinct": (
        f"WITH {_BOUNDS}, weekly AS (SELECT {_W} AS week_start, "
        f"COUNT(DISTINCT user_id) AS active_users FROM events GROUP BY 1) {_TAIL}",
        [],
    ),
    "distinct_then_count_default": (
        f"WITH {_BOUNDS}, pairs AS (SELECT {_W} AS week_start, user_id FROM events "
        "GROUP BY 1, 2), weekly AS (SELECT week_start, COUNT(*) AS active_users FROM pairs "
        f"GROUP BY 1) {_TAIL}",
        [],
    ),
    "bitmap_parallel": (
        f"WITH {_BOUNDS}, blocks AS (SELECT {_W} AS week_start, user_id >> 5 AS block, "
        "BIT_OR(CAST(1 AS BIGINT) << CAST(user_id & 31 AS INTEGER)) AS members FROM events "
        "GROUP BY 1, 2), weekly AS (SELECT week_start, "
        f"SUM(BIT_COUNT(CAST(members AS BIT(64)))) AS active_users FROM blocks GROUP BY 1) {_TAIL}",
        ["SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0"],
    ),
    "distinct_then_count_parallel_index": (
        f"WITH {_BOUNDS}, pairs AS (SELECT {_W} AS week_start, user_id FROM events "
        "GROUP BY 1, 2), weekly AS (SELECT week_start, COUNT(*) AS active_users FROM pairs "
        f"GROUP BY 1) {_TAIL}",
        ["SET enable_hashagg = off", "SET parallel_tuple_cost = 0.01"],
    ),
}


def wau_shapes(data: Path, repeat: int) -> str:
    """Time each WAU shape on PostgreSQL (optimized indexes built first), with its plan."""
    import statistics
    import time

    from ducky.datasets import DataDir
    from ducky.engines.postgres import PostgresEngine

    out = ["| shape | settings | median | runs | top of plan |", "|---|---|---:|---|---|"]
    with PostgresEngine(DataDir(data)) as eng:
        eng.load()
        eng.prepare("wau", "optimized")
        reference = None
        for name, (sql, settings) in WAU_SHAPES.items():
            eng.reset_settings()
            for stmt in settings:
                eng.execute(stmt)
            rows = eng.run(sql).to_pylist()  # warm-up, and every shape must agree
            reference = reference or rows
            assert rows == reference, f"{name} returned different rows"
            runs = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                eng.run(sql)
                runs.append(time.perf_counter() - t0)
            plan = json.loads(eng.explain(sql, analyze=False))[0]["Plan"]
            nodes = []
            while plan is not None and len(nodes) < 6:
                nodes.append(plan["Node Type"])
                kids = [k for k in plan.get("Plans") or [] if k["Node Type"] != "Result"]
                plan = max(kids, key=lambda k: k["Total Cost"]) if kids else None
            out.append(
                f"| {name} | {'; '.join(settings) or 'default'} | "
                f"{secs(statistics.median(runs))} | {', '.join(secs(r) for r in runs)} | "
                f"{' -> '.join(nodes)} |"
            )
        eng.reset_settings()
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
    ap.add_argument("--out", type=Path, default=None, help="bench output folder (<data>/bench)")
    ap.add_argument(
        "--rollups",
        action="store_true",
        help="instead of the bench: PostgreSQL maintained rollups' build, query and insert costs",
    )
    ap.add_argument("--insert-rows", type=int, default=100_000)
    ap.add_argument(
        "--wau-shapes",
        action="store_true",
        help="instead of the bench: time the PostgreSQL WAU shapes tried without a rollup",
    )
    args = ap.parse_args()
    if args.wau_shapes:
        print(wau_shapes(args.data, args.repeat))
        return
    if args.rollups:
        rows = rollup_costs(args.data, args.insert_rows, args.repeat)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2) + "\n")
        print(rollup_markdown(rows))
        return
    latest = (args.out or args.data / "bench") / "latest.json"
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
        if args.out:
            bench += ["--out", str(args.out)]
        ducky(*bench)
    print(markdown(json.loads(latest.read_text())))


if __name__ == "__main__":
    main()
