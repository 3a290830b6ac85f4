"""Running the bench matrix: every (engine, query, variant), timed, explained, parity-checked.

Order matters for honesty: on each engine every query's `baseline` runs first (its setup drops
whatever an earlier optimized run left behind), then the other variants, so a baseline never
profits from another variant's indexes. The reference rows are DuckDB-over-Parquet `baseline`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import platform
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky import sql as canonical_sql
from ducky.bench.results import (
    BenchResults,
    Record,
    Stage,
    compare_variants,
    compute_speedups,
    no_gain,
)
from ducky.errors import DuckyError, UserError

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.engines.base import Engine

REFERENCE = ("duckdb", "baseline")  # (bench engine, variant) whose rows every other must match

# Bench engines that are an engine with options; any other registry name benches as itself.
ENGINE_ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "duckdb": ("duckdb", {"mode": "parquet"}),
    "duckdb-native": ("duckdb", {"mode": "native"}),
}
VARIANT_ORDER = ("baseline", "optimized", "rollup")
FLOAT_REL_TOL = 1e-9


class ParityError(DuckyError):
    """An engine or variant returned rows different from DuckDB's baseline."""


@dataclass
class BenchEngine:
    name: str  # bench name, e.g. duckdb-native
    registry: str  # engine registry name, e.g. duckdb
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class BenchPlan:
    engines: list[BenchEngine]
    queries: list[str]
    variants: list[str]
    repeat: int = 3
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    sql_dir: Path | None = None  # extra/overriding variant files, same layout as ducky/sql
    # PostgreSQL maintained rollups: events inserted (and rolled back) to time the insert
    # trigger against no trigger (ducky.engines.postgres.maintenance); 0 skips the measurement.
    insert_rows: int = 100_000


# -- choosing what to run ---------------------------------------------------------------------
def bench_engine_names() -> list[str]:
    from ducky.engines.registry import engine_names

    names = list(ENGINE_ALIASES)
    names += [n for n in engine_names() if n not in ENGINE_ALIASES]
    return names


def resolve_engines(spec: str) -> tuple[list[BenchEngine], list[str]]:
    """Bench engines for `spec` (comma list or `all`) and, for `all`, the ones skipped + why."""
    from ducky.engines.registry import engine_class

    skipped: list[str] = []
    if spec.strip() == "all":
        names = []
        for n in bench_engine_names():
            registry = ENGINE_ALIASES.get(n, (n, {}))[0]
            try:
                reason = engine_class(registry).unavailable_reason()
            except DuckyError as e:
                reason = str(e)
            if reason:
                skipped.append(f"{n}: {reason}")
            else:
                names.append(n)
    else:
        names = [n.strip() for n in spec.split(",") if n.strip()]
        known = bench_engine_names()
        for n in names:
            if n not in known:
                raise UserError(f"unknown bench engine {n!r}: choose all or {', '.join(known)}")
            engine_class(ENGINE_ALIASES.get(n, (n, {}))[0]).ensure_available()
    if not names:
        raise UserError("no bench engine to run")
    engines = []
    for n in dict.fromkeys(names):
        registry, options = ENGINE_ALIASES.get(n, (n, {}))
        engines.append(BenchEngine(n, registry, dict(options)))
    return engines, skipped


def split_list(spec: str, allowed: list[str] | tuple[str, ...], what: str) -> list[str]:
    items = [x.strip() for x in spec.split(",") if x.strip()]
    if not items:
        raise UserError(f"--{what}: give at least one of {', '.join(allowed)}")
    for x in items:
        if x not in allowed:
            raise UserError(f"unknown {what} {x!r}: choose from {', '.join(allowed)}")
    return list(dict.fromkeys(items))


def known_variants(query: str, sql_dir: Path | None = None) -> list[str]:
    return order_variants(canonical_sql.variants(query, [sql_dir] if sql_dir else []))


def order_variants(names: set[str] | list[str]) -> list[str]:
    fixed = [v for v in VARIANT_ORDER if v in names]
    return fixed + sorted(set(names) - set(fixed))


# -- variant text and setup: --sql-dir is one more SQL root, searched first ------------------
def _with_sql_dir(engine: Engine, plan: BenchPlan) -> None:
    if plan.sql_dir is not None and plan.sql_dir not in engine.extra_sql_roots:
        engine.extra_sql_roots.insert(0, plan.sql_dir)


def render_variant(engine: Engine, plan: BenchPlan, query: str, variant: str) -> str:
    """The variant's SQL as `engine` runs it (a --sql-dir file first, then the packaged one),
    written with the engine's own sqlglot dialect, so its fix-ups apply to both."""
    _with_sql_dir(engine, plan)
    return engine.render(query, variant, **plan.params.get(query, {}))


def prepare_variant(engine: Engine, plan: BenchPlan, query: str, variant: str) -> list[Any]:
    """Run the variant's setup: the --sql-dir's when it defines the variant (a variant it
    replaces brings its own setup, or none), else the packaged one."""
    _with_sql_dir(engine, plan)
    return engine.prepare(query, variant)


# -- parity -----------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) and isinstance(a, bool) == isinstance(b, bool)
    if isinstance(a, float | decimal.Decimal) or isinstance(b, float | decimal.Decimal):
        try:
            return math.isclose(float(a), float(b), rel_tol=FLOAT_REL_TOL, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
        return False
    return bool(a == b)


def compare(reference: pa.Table, got: pa.Table) -> str | None:
    """None when `got` has the reference's columns and rows in the same order, else why not."""
    if got.column_names != reference.column_names:
        return f"columns {got.column_names} != {reference.column_names}"
    return compare_rows(reference.to_pylist(), got.to_pylist())


def compare_rows(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> str | None:
    """Row-by-row, column-by-column comparison (floats and decimals with tolerance)."""
    if len(got) != len(expected):
        return f"{len(got)} rows != {len(expected)}"
    for i, (g, r) in enumerate(zip(got, expected, strict=True)):
        if list(g) != list(r):
            return f"row {i + 1} columns {list(g)} != {list(r)}"
        for col in r:
            if not _same(g[col], r[col]):
                return f"row {i + 1} {col}: {g[col]!r} != {r[col]!r}"
    return None


# -- running ----------------------------------------------------------------------------------
def _stage(stage: str, seconds: float, **detail: Any) -> Stage:
    return Stage(stage, round(seconds, 6), detail)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def machine_info() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "hostname": platform.node(),
    }


@contextmanager
def _context(what: str) -> Iterator[None]:
    """Prefix an engine error with the (engine/query/variant) it happened in."""
    try:
        yield
    except DuckyError as e:
        e.args = (f"{what}: {e}",)
        raise


def reference_rows(datadir: DataDir, plan: BenchPlan) -> dict[str, pa.Table]:
    from ducky.engines import open_engine

    registry, options = ENGINE_ALIASES[REFERENCE[0]]
    out = {}
    with open_engine(registry, datadir, **options) as eng:
        eng.load()
        for q in plan.queries:
            with _context(f"reference {REFERENCE[0]}/{q}/{REFERENCE[1]}"):
                eng.prepare(q, REFERENCE[1])
                out[q] = eng.run(eng.render(q, REFERENCE[1], **plan.params.get(q, {})))
    return out


def pairs_for(plan: BenchPlan) -> list[tuple[str, str]]:
    """(query, variant) pairs in run order: all baselines first, then each variant."""
    out = []
    for v in order_variants(plan.variants):
        for q in plan.queries:
            if v in known_variants(q, plan.sql_dir):
                out.append((q, v))
    return out


def run_bench(
    datadir: DataDir,
    plan: BenchPlan,
    out_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> BenchResults:
    """Run the matrix; write latest.json, the chart and plans under `out_dir`; return results.

    Raises ParityError (after writing everything) when any result differs from the reference.
    """
    from ducky.bench import chart
    from ducky.engines import open_engine
    from ducky.queries import TABLES_NEEDED

    needed = tuple(dict.fromkeys(t for q in plan.queries for t in TABLES_NEEDED[q]))
    manifest = datadir.validate(needed)
    pairs = pairs_for(plan)
    if not pairs:
        raise UserError(f"no query has variant(s) {', '.join(plan.variants)}")
    note = progress or (lambda _msg: None)

    note("reference rows (duckdb baseline)")
    reference = reference_rows(datadir, plan)

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".run-{os.getpid()}-{int(time.time())}"
    final_plans = out_dir / "plans"
    records: list[Record] = []
    engines_info: dict[str, dict[str, Any]] = {}
    try:
        for be in plan.engines:
            eng = open_engine(be.registry, datadir, **be.options)
            try:
                with _context(f"{be.name}: connect"):
                    _, t_connect = _timed(eng.connect)
                with _context(f"{be.name}: load"):
                    _, t_load = _timed(eng.load)
                load_detail = next(
                    (t.detail for t in reversed(eng.timings) if t.stage == "load"), {}
                )
                engine_stages = [
                    _stage("connect", t_connect),
                    _stage("load", t_load, **load_detail),
                ]
                engines_info[be.name] = {
                    "registry": be.registry,
                    "options": {k: str(v) for k, v in be.options.items()},
                    "stages": engine_stages,
                    "version": _engine_version(eng),
                }
                for q, v in pairs:
                    note(f"{be.name} · {q} · {v}")
                    with _context(f"{be.name}/{q}/{v}"):
                        records.append(
                            _bench_one(eng, be, plan, q, v, reference[q], engine_stages, staging)
                        )
            finally:
                eng.close()
        compute_speedups(records)
        comparisons = compare_variants(records)
        for r in records:  # staged plan paths -> their final place
            for attr in ("plan_path", "plan_text_path"):
                p = getattr(r, attr)
                if p:
                    setattr(r, attr, str(final_plans / Path(p).relative_to(staging / "plans")))
        if final_plans.exists():
            shutil.rmtree(final_plans)
        if (staging / "plans").exists():
            (staging / "plans").rename(final_plans)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    results = BenchResults(
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        data=str(datadir.path.resolve()),
        dataset={t: manifest.rows(t) for t in ("events", "users", "products")},
        machine=machine_info(),
        repeat=plan.repeat,
        engines=engines_info,
        parameters={
            q: {**canonical_sql.PARAMETERS[q], **plan.params.get(q, {})} for q in plan.queries
        },
        records=records,
        plans_dir=str(final_plans),
        comparisons=comparisons,
        no_gain=no_gain(records),
    )
    results.chart_path = str(chart.draw(records, out_dir / "chart.png", _chart_title(results)))
    from ducky.bench.results import write_json

    write_json(out_dir / "latest.json", results.to_dict())
    return results


def _chart_title(results: BenchResults) -> str:
    events = results.dataset.get("events", 0)
    if results.repeat == 1:
        return f"ducky bench: {events:,} events, one run (after a warm-up)"
    return f"ducky bench: {events:,} events, median of {results.repeat} runs"


def _engine_version(eng: Engine) -> str | None:
    try:
        return eng.version()
    except Exception:  # a version is informative; its failure must not fail the bench
        return None


def _bench_one(
    eng: Engine,
    be: BenchEngine,
    plan: BenchPlan,
    query: str,
    variant: str,
    reference: pa.Table,
    engine_stages: list[Stage],
    staging: Path,
) -> Record:
    from ducky.bench import plans

    eng.reset_settings()  # a previous variant's SET (work_mem, parallelism...) must not leak
    setup = prepare_variant(eng, plan, query, variant)
    sql = render_variant(eng, plan, query, variant)
    warm, _ = _timed(lambda: eng.run(sql))  # warm-up; its rows are the ones checked
    mismatch = compare(reference, warm)
    runs = []
    for _ in range(plan.repeat):
        _, secs = _timed(lambda: eng.run(sql))
        runs.append(secs)
    median = statistics.median(runs)
    stem = staging / "plans" / be.name / f"{query}.{variant}"
    captured = plans.capture(eng, sql, stem)
    stages = [
        *engine_stages,
        *[_stage(s.stage, s.seconds, **s.detail) for s in setup],
        _stage("query", median, note="median wall time, result fetched as Arrow"),
    ]
    if variant == "rollup" and _maintained_rollup(eng, plan, query):
        cost = eng.rollup_insert_cost(query, rows=plan.insert_rows)
        stages.append(_stage("maintain", cost["with_trigger_s"], **cost))
    server = captured.summary.total_s
    if server is not None:
        stages.append(_stage("server", server, note="execution time reported by EXPLAIN ANALYZE"))
        stages.append(
            _stage(
                "fetch",
                max(median - server, 0.0),
                note="query wall time minus server execution time (transfer, conversion)",
            )
        )
    return Record(
        engine=be.name,
        query=query,
        variant=variant,
        runs=[round(r, 6) for r in runs],
        median_s=round(median, 6),
        min_s=round(min(runs), 6),
        max_s=round(max(runs), 6),
        rows=warm.num_rows,
        parity=mismatch is None,
        parity_detail=mismatch,
        stages=stages,
        setup_s=float(round(sum(s.seconds for s in setup), 6)),
        plan_path=str(captured.path) if captured.path else None,
        plan_text_path=str(captured.text_path) if captured.text_path else None,
        bottleneck=captured.note,
    )


def _maintained_rollup(eng: Engine, plan: BenchPlan, query: str) -> bool:
    """The packaged rollup on an engine that maintains rollups on INSERT (PostgreSQL's
    triggers), so their cost is timed; a --sql-dir that replaces it is a plain variant."""
    from ducky.sql.catalog import ROLLUP_QUERIES, defines

    overridden = plan.sql_dir is not None and defines(plan.sql_dir, query, "rollup", eng.dialect)
    return (
        eng.maintains_rollups
        and query in ROLLUP_QUERIES
        and plan.insert_rows > 0
        and not overridden
    )


def parity_failures(results: BenchResults) -> list[Record]:
    return [r for r in results.records if not r.parity]


def parity_message(results: BenchResults, json_path: Path) -> str:
    bad = parity_failures(results)
    first = bad[0]
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    ref = f"{REFERENCE[0]}/{first.query}/{REFERENCE[1]}"
    return (
        f"parity mismatch: {first.engine}/{first.query}/{first.variant} returned different rows "
        f"than {ref}: {first.parity_detail}{more}; results in {json_path}"
    )
