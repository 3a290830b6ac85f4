"""The bench results document: one record per (engine, query, variant), serialised as JSON.

The schema (documented in docs/OPTIMIZATION.md) is versioned by `SCHEMA`; readers such as the
HTML report check it and the required keys in `RECORD_KEYS`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "ducky.bench/1"

# Keys every record carries, with their JSON types (None allowed where noted in the docs).
RECORD_KEYS: dict[str, tuple[type, ...]] = {
    "engine": (str,),
    "query": (str,),
    "variant": (str,),
    "runs": (list,),
    "median_s": (float,),
    "min_s": (float,),
    "max_s": (float,),
    "rows": (int,),
    "parity": (bool,),
    "parity_detail": (str, type(None)),
    "speedup_vs_baseline": (float, type(None)),
    "speedup_vs_fastest": (float,),
    "stages": (list,),
    "setup_s": (float,),
    "plan_path": (str, type(None)),
    "plan_text_path": (str, type(None)),
    "bottleneck": (str,),
}


@dataclass
class Stage:
    """One timed step: connect, load, index, rollup, analyze, setup, query, server, client."""

    stage: str
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    engine: str
    query: str
    variant: str
    runs: list[float]
    median_s: float
    min_s: float
    max_s: float
    rows: int
    parity: bool
    parity_detail: str | None
    stages: list[Stage]
    setup_s: float
    plan_path: str | None
    plan_text_path: str | None
    bottleneck: str
    speedup_vs_baseline: float | None = None
    speedup_vs_fastest: float = 1.0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.engine, self.query, self.variant)


@dataclass
class BenchResults:
    created: str
    data: str
    dataset: dict[str, int]
    machine: dict[str, Any]
    repeat: int
    engines: dict[str, dict[str, Any]]  # bench engine -> {registry, options, stages}
    parameters: dict[str, dict[str, Any]]
    records: list[Record]
    chart_path: str | None = None
    plans_dir: str | None = None
    # Per (engine, query) with a baseline: baseline vs optimized (indexes, rewrites) vs rollup,
    # each with what it costs (build, size, insert throughput); see compare_variants.
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    # Every variant that does not beat its baseline by NO_GAIN_BELOW, with why (see no_gain).
    no_gain: list[dict[str, Any]] = field(default_factory=list)
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def record(self, engine: str, query: str, variant: str) -> Record | None:
        for r in self.records:
            if r.key == (engine, query, variant):
                return r
        return None


def compute_speedups(records: list[Record]) -> None:
    """Fill speedup_vs_baseline (same engine and query) and speedup_vs_fastest (same query)."""
    for r in records:
        base = next(
            (
                b
                for b in records
                if (b.engine, b.query, b.variant) == (r.engine, r.query, "baseline")
            ),
            None,
        )
        r.speedup_vs_baseline = base.median_s / r.median_s if base and r.median_s > 0 else None
        fastest = min(x.median_s for x in records if x.query == r.query)
        r.speedup_vs_fastest = fastest / r.median_s if r.median_s > 0 else 1.0


# A variant under 1.1x its baseline has not earned its setup (indexes, rewrites, rollups) on this
# data: the spread between runs of one variant is often 5-10 %.
NO_GAIN_BELOW = 1.1


def format_seconds(s: float) -> str:
    """A duration as the bench prints it: "148.0 ms", "1.03 s" (table and no-gain lines)."""
    return f"{s * 1000:,.1f} ms" if s < 1 else f"{s:,.2f} s"


def no_gain(records: list[Record]) -> list[dict[str, Any]]:
    """Each non-baseline variant under NO_GAIN_BELOW x its engine's baseline, with the evidence
    of why from the two plans: the heaviest step of each (the same step in both means the
    rewrite left the cost where it was), or where the engine gives no per-step timings, the two
    saved plans to compare. Computed from the measurements, after compute_speedups."""
    out = []
    for r in records:
        if r.variant == "baseline" or r.speedup_vs_baseline is None:
            continue
        if round(r.speedup_vs_baseline, 2) >= NO_GAIN_BELOW:  # as printed: 1.099 says 1.10x
            continue
        base = next(
            b for b in records if (b.engine, b.query, b.variant) == (r.engine, r.query, "baseline")
        )
        timed = "no timing breakdown" not in r.bottleneck and bool(r.bottleneck)
        step, base_step = r.bottleneck.split(":")[0], base.bottleneck.split(":")[0]
        if not r.bottleneck:
            why = "no plan was captured for it"
        elif timed and step == base_step:
            why = (
                f"the same heaviest step as the baseline ({r.bottleneck} vs "
                f"{base.bottleneck}): the {r.variant} text leaves the cost where it was"
            )
        elif timed:
            why = f"heaviest step {r.bottleneck}; the baseline's: {base.bottleneck or 'unknown'}"
        else:
            plans = [p for p in (r.plan_text_path, base.plan_text_path) if p]
            why = "this engine reports no per-step timings" + (
                "; compare the plans " + " and ".join(plans) if plans else ""
            )
        out.append(
            {
                "engine": r.engine,
                "query": r.query,
                "variant": r.variant,
                "speedup_vs_baseline": round(r.speedup_vs_baseline, 2),
                "median_s": r.median_s,
                "baseline_median_s": base.median_s,
                "why": why,
                "line": (
                    f"no gain: {r.engine} {r.query} {r.variant} is "
                    f"{r.speedup_vs_baseline:.2f}x its baseline ({format_seconds(r.median_s)} vs "
                    f"{format_seconds(base.median_s)}): {why}"
                ),
            }
        )
    return out


def _built(r: Record, kinds: tuple[str, ...]) -> tuple[float, int | None]:
    """Seconds and bytes of the objects a variant's setup built (indexes or rollup tables)."""
    stages = [s for s in r.stages if s.stage in kinds]
    sizes = [s.detail["bytes"] for s in stages if isinstance(s.detail.get("bytes"), int)]
    return sum(s.seconds for s in stages), (sum(sizes) if sizes else None)


def compare_variants(records: list[Record]) -> list[dict[str, Any]]:
    """The engine's own answer to "indexes, or a maintained pre-aggregate?": per (engine,
    query), baseline vs optimized vs rollup query time, what each costs to build and store,
    and (PostgreSQL) the insert throughput without and with the rollup's trigger."""
    out = []
    for r in records:
        if r.variant != "baseline":
            continue
        row: dict[str, Any] = {"engine": r.engine, "query": r.query, "baseline_s": r.median_s}
        for name, kinds in (("optimized", ("index",)), ("rollup", ("rollup",))):
            v = next(
                (x for x in records if (x.engine, x.query, x.variant) == (r.engine, r.query, name)),
                None,
            )
            if v is None:
                continue
            size = _built(v, kinds)[1]
            row[f"{name}_s"] = v.median_s
            row[f"{name}_speedup"] = round(r.median_s / v.median_s, 2) if v.median_s else None
            row[f"{name}_build_s"] = round(v.setup_s, 4)
            row[f"{name}_bytes"] = size
            maintain = next((s for s in v.stages if s.stage == "maintain"), None)
            if maintain is not None:
                d = maintain.detail
                row["insert_rows"] = d.get("rows")
                row["insert_rows_per_s_without_trigger"] = d.get("without_trigger_rows_per_s")
                row["insert_rows_per_s_with_trigger"] = d.get("with_trigger_rows_per_s")
                row["trigger_overhead_us_per_row"] = d.get("overhead_us_per_row")
        if len(row) > 3:
            out.append(row)
    return out


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a document (and the file gets the mode a plain
    open() would give it, not mkstemp's 0600)."""
    from ducky.atomic import atomic_open

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "w") as f:
        json.dump(doc, f, indent=2, default=str)
        f.write("\n")


def validate_document(doc: dict[str, Any]) -> list[str]:
    """Problems with a results document (empty when it matches the schema)."""
    problems = []
    if doc.get("schema") != SCHEMA:
        problems.append(f"schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
    records = doc.get("records")
    if not isinstance(records, list):
        return [*problems, "records is not a list"]
    for i, r in enumerate(records):
        for k, types in RECORD_KEYS.items():
            if k not in r:
                problems.append(f"record {i}: missing {k}")
            elif not isinstance(r[k], types) or (isinstance(r[k], bool) and bool not in types):
                problems.append(f"record {i}: {k} has type {type(r[k]).__name__}")
    return problems
