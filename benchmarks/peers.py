"""Benchmark: ducky's full-scan answers beside the tools its users would pick instead.

One process, the same Parquet files `ducky gen` writes, four contenders per metric:

- **ducky**: the canonical `optimized` variant through ducky's DuckDB engine (views over the
  Parquet files), i.e. what `ducky query <q>` runs. The SQL is rendered once per data directory
  (rendering and any statistics it reads are timed separately, as `render_s`).
- **Polars lazy**: `scan_parquet` on the same files, written the way the Polars docs would
  (`n_unique` per group, a join for revenue, `unique()` then `len()` for cohort).
- **chDB**: embedded ClickHouse through ducky's `chdb` engine (its `optimized` variant: the
  ClickHouse overrides use `uniqExact`, ClickHouse's native exact distinct count).
- **plain DuckDB SQL**: the straightforward SQL a user would write (ducky's `baseline` text:
  COUNT(DISTINCT) per group) on a bare DuckDB connection over the same files.

Every contender's answer is checked equal to ducky's (same columns, rows and order; floats and
decimals within the bench tolerance) before anything is timed; a mismatch stops the run. Times
are medians of --rounds interleaved rounds (each round runs every contender once per metric, in
a rotated order, so a background hiccup does not land on one contender only), after a warm-up.

    flock /tmp/ducky-heavy.lock python benchmarks/peers.py --data /tmp/shop-10m \
        --out docs/benchmarks/peers-10m --rounds 5

writes <out>.json (every run) and <out>.md (the table for docs/BENCHMARKS.md). String ids: run
it on a copy made by benchmarks/string_id_copy.py (every contender reads VARCHAR ids as they are).
Several data directories in one run (one table each, one after the other in one process):

    python benchmarks/peers.py --data /tmp/perf-10m /tmp/perf-10m-str /tmp/d100m /tmp/d100m-str \
        --rounds 7 7 3 3 --out docs/benchmarks/peers
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from ducky.schema import DEFAULT_CURRENCY, SQL_TYPES, TABLES

QUERIES = ("wau", "revenue", "cohort")
CONTENDERS = ("ducky", "polars", "chdb", "duckdb_sql")
LABELS = {
    "ducky": "ducky full scan",
    "polars": "Polars lazy",
    "chdb": "chDB (ClickHouse)",
    "duckdb_sql": "plain DuckDB SQL",
}
PEERS = ("polars", "chdb", "duckdb_sql")
COHORT_WEEKS = 8

Runner = Callable[[], pa.Table]


# -- Polars -------------------------------------------------------------------------------------
def polars_runners(datadir: Any) -> dict[str, Runner]:
    import polars as pl

    events_files = [str(p) for p in datadir.table_files("events")]

    def events() -> Any:
        return pl.scan_parquet(events_files, hive_partitioning=False)

    def wau() -> pa.Table:
        ev = events()
        bounds = ev.select(
            first_day=pl.col("timestamp").min().dt.date(),
            last_day=pl.col("timestamp").max().dt.date(),
        )
        weekly = ev.group_by(week_start=pl.col("timestamp").dt.truncate("1w").dt.date()).agg(
            active_users=pl.col("user_id").n_unique().cast(pl.Int64)
        )
        out = (
            weekly.join(bounds, how="cross")
            .with_columns(
                complete=(pl.col("week_start") >= pl.col("first_day"))
                & ((pl.col("last_day") - pl.col("week_start")).dt.total_days() >= 6)
            )
            .select("week_start", "active_users", "complete")
            .sort("week_start")
        )
        return out.collect().to_arrow()

    def revenue() -> pa.Table:
        # METRICS.md: a line's revenue is its amount, else quantity (default 1) x price; per
        # (category, currency); order-less purchases are one order each. Columns a data
        # directory lacks (generated data has no order columns) are NULL.
        products = pl.scan_parquet(datadir.table_files("products")).select(
            "product_id", "category", "price"
        )
        present = set(datadir.present_columns("events"))
        optional = {"order_id": pl.String, "quantity": pl.Int64, "currency": pl.String}
        ev = events().filter(pl.col("event_type") == "purchased")
        ev = ev.select(
            "user_id",
            "product_id",
            *[pl.col(c) if c in present else pl.lit(None, t).alias(c) for c, t in optional.items()],
            pl.col("amount")
            if "amount" in present
            else pl.lit(None, pl.Decimal(12, 2)).alias("amount"),
        )
        line = pl.coalesce(
            pl.col("amount").cast(pl.Decimal(38, 2)),
            pl.col("quantity").fill_null(1).cast(pl.Decimal(38, 0)) * pl.col("price"),
        )
        out = (
            ev.join(products, on="product_id", how="left")
            .group_by(
                category=pl.col("category").fill_null("unknown"),
                currency=pl.col("currency").fill_null(DEFAULT_CURRENCY),
            )
            .agg(
                revenue=line.sum(),
                purchases=pl.len().cast(pl.Int64),
                orders=(
                    pl.col("order_id").drop_nulls().n_unique() + pl.col("order_id").null_count()
                ).cast(pl.Int64),
                buyers=pl.col("user_id").n_unique().cast(pl.Int64),
            )
            .sort(["revenue", "category", "currency"], descending=[True, False, False])
            .collect()
        )
        return _with_aov(out.to_arrow())

    def cohort() -> pa.Table:
        users = pl.scan_parquet(datadir.table_files("users")).select(
            "user_id", "signup_date", cohort_month=pl.col("signup_date").dt.month_start()
        )
        ev = events()
        last_day = ev.select(last_day=pl.col("timestamp").max().dt.date())
        cohorts = users.group_by("cohort_month").agg(
            cohort_size=pl.len().cast(pl.Int64), last_signup=pl.col("signup_date").max()
        )
        retained = (
            ev.select("user_id", day=pl.col("timestamp").dt.date())
            .unique()
            .join(users, on="user_id")
            .with_columns(days=(pl.col("day") - pl.col("signup_date")).dt.total_days())
            .filter((pl.col("days") >= 0) & (pl.col("days") < 7 * (COHORT_WEEKS + 1)))
            .group_by("cohort_month", week=(pl.col("days") // 7).cast(pl.Int32))
            .agg(retained=pl.col("user_id").n_unique().cast(pl.Int64))
        )
        weeks = pl.LazyFrame({"week": pl.Series(range(COHORT_WEEKS + 1), dtype=pl.Int32)})
        complete = (pl.col("last_day") - pl.col("last_signup")).dt.total_days() >= (
            7 * pl.col("week") + 6
        )
        out = (
            cohorts.join(weeks, how="cross")
            .join(last_day, how="cross")
            .join(retained, on=["cohort_month", "week"], how="left")
            .with_columns(retained=pl.col("retained").fill_null(0), complete=complete)
            .with_columns(
                rate=pl.when(pl.col("complete")).then(
                    pl.col("retained").cast(pl.Float64) / pl.col("cohort_size")
                )
            )
            .select("cohort_month", "cohort_size", "week", "retained", "rate", "complete")
            .sort("cohort_month", "week")
        )
        return out.collect().to_arrow()

    return {"wau": wau, "revenue": revenue, "cohort": cohort}


def _with_aov(t: pa.Table) -> pa.Table:
    """Exact decimal revenue (18,2) and avg_order_value = revenue / orders, half up, on the
    handful of result rows (Polars has no decimal division with a rounding mode)."""
    import pyarrow as pa

    dec = pa.decimal128(18, 2)
    revenue = [Decimal(r).quantize(Decimal("0.01")) for r in t.column("revenue").to_pylist()]
    orders = t.column("orders").to_pylist()
    aov = [
        (r / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for r, n in zip(revenue, orders, strict=True)
    ]
    return pa.table(
        {
            "category": t.column("category").cast(pa.string()),
            "currency": t.column("currency").cast(pa.string()),
            "revenue": pa.array(revenue, dec),
            "purchases": t.column("purchases"),
            "orders": t.column("orders"),
            "buyers": t.column("buyers"),
            "avg_order_value": pa.array(aov, dec),
        }
    )


# -- the SQL contenders -------------------------------------------------------------------------
def sql_runners(engine: Any, variant: str, params: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Runners for each query's `variant` on an opened engine, rendered once (and how long)."""
    runners: dict[str, Runner] = {}
    render_s: dict[str, float] = {}
    for q in QUERIES:
        t0 = time.perf_counter()
        sql = engine.render(q, variant, **params.get(q, {}))
        render_s[q] = time.perf_counter() - t0
        runners[q] = (lambda s: lambda: engine.run(s))(sql)
    return {"runners": runners, "render_s": render_s}


def plain_duckdb_runners(datadir: Any) -> tuple[Any, dict[str, Runner]]:
    """A bare DuckDB connection (no ducky engine) over the same files, running the
    straightforward SQL (ducky's baseline text, which is what a seed solution writes)."""
    import duckdb

    from ducky import sql as canonical_sql

    con = duckdb.connect()
    for t in ("events", "users", "products"):
        glob = datadir.table_glob(t).replace("'", "''")
        # Optional columns the files lack (generated data has no order columns) are NULL.
        absent = [c for c in TABLES[t].columns if c.name not in datadir.present_columns(t)]
        nulls = "".join(f', CAST(NULL AS {SQL_TYPES[c.type]}) AS "{c.name}"' for c in absent)
        union = ", union_by_name = true" if t == "events" and not absent else ""
        con.execute(f"CREATE VIEW {t} AS SELECT *{nulls} FROM read_parquet('{glob}'{union})")
    runners: dict[str, Runner] = {}
    for q in QUERIES:
        sql = canonical_sql.render(
            q, "duckdb", "baseline", {"weeks": COHORT_WEEKS} if q == "cohort" else {}
        )
        runners[q] = (lambda s: lambda: con.sql(s).to_arrow_table())(sql)
    return con, runners


# -- the run ------------------------------------------------------------------------------------
def run_one(data: Path, rounds: int, only: list[str]) -> dict[str, Any]:
    """Every contender on one data directory: answers checked, then `rounds` interleaved
    rounds timed."""
    from ducky.datasets import DataDir
    from ducky.engines.chdb import ChdbEngine
    from ducky.engines.duckdb import DuckDBEngine

    dd = DataDir(data)
    params = {"cohort": {"weeks": COHORT_WEEKS}}
    duck = DuckDBEngine(dd)
    duck.connect()
    duck.load()
    ch = ChdbEngine(dd)
    ch.connect()
    ch.load()
    try:
        return _time_contenders(data, rounds, only, duck, ch, params)
    finally:
        duck.close()
        ch.close()


def _time_contenders(
    data: Path, rounds: int, only: list[str], duck: Any, ch: Any, params: dict[str, Any]
) -> dict[str, Any]:
    import chdb
    import duckdb
    import polars as pl

    from ducky.bench.runner import compare

    dd = duck.datadir
    ducky = sql_runners(duck, "optimized", params)
    chq = sql_runners(ch, "optimized", params)
    _, plain = plain_duckdb_runners(dd)
    runners: dict[str, dict[str, Runner]] = {
        "ducky": ducky["runners"],
        "polars": polars_runners(dd),
        "chdb": chq["runners"],
        "duckdb_sql": plain,
    }
    events = int(duck.run("SELECT COUNT(*) AS n FROM events").column(0)[0].as_py())
    uid_type = str(duck.run("SELECT typeof(user_id) AS t FROM events LIMIT 1").column(0)[0])

    # Warm-up, and every answer checked against ducky's before timing anything.
    for q in only:
        want = runners["ducky"][q]()
        for c in PEERS:
            why = compare(want, runners[c][q]())
            if why is not None:
                raise SystemExit(f"{c} {q} differs from ducky: {why}")

    times: dict[str, dict[str, list[float]]] = {q: {c: [] for c in CONTENDERS} for q in only}
    for r in range(rounds):
        order = CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]
        for q in only:
            for c in order:
                t0 = time.perf_counter()
                runners[c][q]()
                times[q][c].append(time.perf_counter() - t0)
        print(f"{data}: round {r + 1}/{rounds} done", flush=True)

    medians = {q: {c: statistics.median(v) for c, v in times[q].items()} for q in times}
    return {
        "data": str(data),
        "events": events,
        "user_id": uid_type,
        "rounds": rounds,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": __import__("os").cpu_count()},
        "versions": {
            "duckdb": duckdb.__version__,
            "polars": pl.__version__,
            "chdb": chdb.__version__,
        },
        "render_s": {"ducky": ducky["render_s"], "chdb": chq["render_s"]},
        "times_s": times,
        "median_s": medians,
        "ratio_to_best_peer": {
            q: medians[q]["ducky"] / min(medians[q][c] for c in PEERS) for q in medians
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--data", type=Path, nargs="+", required=True, help="data directories ducky gen wrote"
    )
    ap.add_argument(
        "--rounds",
        type=int,
        nargs="+",
        default=[5],
        help="rounds per data directory (one number for all, or one each)",
    )
    ap.add_argument("--out", type=Path, required=True, help="writes OUT.json and OUT.md")
    ap.add_argument("--only", nargs="*", choices=QUERIES, default=list(QUERIES))
    args = ap.parse_args()
    if len(args.rounds) not in (1, len(args.data)):
        ap.error("--rounds takes one number, or one per --data directory")
    rounds = args.rounds * len(args.data) if len(args.rounds) == 1 else args.rounds
    for d in args.data:
        if not (d / "manifest.json").is_file():
            ap.error(f"{d} is not a data directory ducky gen wrote (no manifest.json)")

    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    for d, n in zip(args.data, rounds, strict=True):
        results.append(run_one(d, n, args.only))
        # written after every directory: a failure in a later one keeps the runs before it
        doc: dict[str, Any] = (
            results[0] if len(args.data) == 1 else {"started": started, "runs": results}
        )
        args.out.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
        text = "\n".join(markdown(r) for r in results)
        args.out.with_suffix(".md").write_text(text)
    print(text)


def markdown(result: dict[str, Any]) -> str:
    """The peers table: medians, each peer's time as a ratio of ducky's to the best peer."""
    med = result["median_s"]
    n = result["events"]
    head = f"{n / 1e6:.0f}M events" if n >= 1_000_000 else f"{n:,} events"
    if result.get("user_id"):
        head += ", string ids" if result["user_id"] == "VARCHAR" else ", integer ids"
    lines = [
        f"| {head} | " + " | ".join(LABELS[c] for c in CONTENDERS) + " | ducky / best peer |",
        "|---|" + "---|" * (len(CONTENDERS) + 1),
    ]
    for q, row in med.items():
        best = min(row[c] for c in PEERS)
        cells = [
            f"{row[c]:.3f} s" + (" (best peer)" if c != "ducky" and row[c] == best else "")
            for c in CONTENDERS
        ]
        lines.append(f"| {q} | " + " | ".join(cells) + f" | **{row['ducky'] / best:.2f}x** |")
    lines.append("")
    lines.append(
        f"Medians of {result['rounds']} interleaved rounds; every answer equal to ducky's; "
        + ", ".join(f"{k} {v}" for k, v in result["versions"].items())
        + f"; {result['machine']['cpus']} CPUs."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
