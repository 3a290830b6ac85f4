"""What the last `ducky bench` run says about each optimization: what was done, why (the
captured plans' bottleneck notes), the gain, its costs, and a recommendation.

Everything is read from the bench document's records (their stages carry the index and rollup
objects, build seconds, bytes and the measured insert slow-down); nothing is re-measured here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ducky.report import fmt

ENGINE_NAMES = {
    "duckdb": "DuckDB (Parquet)",
    "duckdb-native": "DuckDB (native tables)",
    "postgres": "PostgreSQL",
    "spark": "Spark",
}
NO_GAIN = 1.1  # below this speedup an "optimization" is noise or a loss, not a gain
# A speedup is only turned into a recommendation when it was measured: at least MIN_RUNS runs
# of both the baseline and the variant, and a baseline median of at least MIN_BASELINE_S (below
# that, timer resolution, caches and scheduling dominate a millisecond query).
MIN_RUNS = 3
MIN_BASELINE_S = 0.05


@dataclass
class Variant:
    name: str
    median_s: float
    speedup: float | None
    bottleneck: str
    parity: bool
    build_s: float
    bytes: int | None
    objects: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "index", "rollup", "rewrite"
    slowdown: float | None = None  # inserts with / without the rollup's triggers
    rows_per_s: tuple[float, float] | None = None  # (without, with) trigger
    runs: int = 0  # timed runs behind median_s

    @property
    def what(self) -> str:
        if "index" in self.kinds:
            return "indexes " + ", ".join(self.objects)
        if "rollup" in self.kinds:
            return "rollup " + ", ".join(self.objects)
        return "SQL rewrite" if self.name == "optimized" else self.name


@dataclass
class QueryOpt:
    engine: str
    query: str
    dialect: str
    baseline: Variant | None
    variants: list[Variant]  # non-baseline, in run order

    def unreliable(self, v: Variant) -> str | None:
        """Why the speedup of `v` over the baseline is too noisy to act on (None: it is not):
        fewer than MIN_RUNS runs of either, or a baseline median under MIN_BASELINE_S."""
        b = self.baseline
        if b is None:
            return "no baseline"
        runs = min(b.runs, v.runs)
        if runs < MIN_RUNS:
            return f"{runs} run{'s' if runs != 1 else ''} (need {MIN_RUNS})"
        if b.median_s < MIN_BASELINE_S:
            return f"baseline {fmt.dur(b.median_s)} (under {MIN_BASELINE_S * 1000:g} ms)"
        return None

    def best(self) -> Variant | None:
        ok = [v for v in self.variants if v.parity and v.speedup]
        return max(ok, key=lambda v: v.speedup or 0.0) if ok else None


def _variant(r: dict[str, Any]) -> Variant:
    stages = r.get("stages") or []
    objects: list[str] = []
    kinds: list[str] = []
    total_bytes = 0
    has_bytes = False
    slowdown = None
    rows = None
    for s in stages:
        detail = s.get("detail") or {}
        if s.get("stage") in ("index", "rollup"):
            kinds.append(str(s["stage"]))
            if detail.get("object"):
                objects.append(str(detail["object"]))
            if isinstance(detail.get("bytes"), int | float):
                total_bytes += int(detail["bytes"])
                has_bytes = True
        if s.get("stage") == "maintain" and isinstance(detail.get("slowdown"), int | float):
            slowdown = float(detail["slowdown"])
            a, b = detail.get("without_trigger_rows_per_s"), detail.get("with_trigger_rows_per_s")
            if isinstance(a, int | float) and isinstance(b, int | float):
                rows = (float(a), float(b))
    if not kinds and r.get("variant") == "optimized":
        kinds.append("rewrite")
    sp = r.get("speedup_vs_baseline")
    return Variant(
        name=str(r.get("variant")),
        median_s=float(r.get("median_s") or 0.0),
        speedup=float(sp) if isinstance(sp, int | float) else None,
        bottleneck=str(r.get("bottleneck") or ""),
        parity=bool(r.get("parity", True)),
        build_s=float(r.get("setup_s") or 0.0),
        bytes=total_bytes if has_bytes else None,
        objects=objects,
        kinds=kinds,
        slowdown=slowdown,
        rows_per_s=rows,
        runs=len(r.get("runs") or []) or (1 if r.get("median_s") is not None else 0),
    )


def analyse(doc: dict[str, Any]) -> list[QueryOpt]:
    engines = doc.get("engines") or {}
    out: dict[tuple[str, str], QueryOpt] = {}
    for r in doc.get("records") or []:
        eng, q = str(r.get("engine")), str(r.get("query"))
        reg = (engines.get(eng) or {}).get("registry", eng) if isinstance(engines, dict) else eng
        dialect = "postgres" if str(reg).startswith("postgres") else str(reg).split("-")[0]
        qo = out.setdefault((eng, q), QueryOpt(eng, q, dialect, None, []))
        v = _variant(r)
        if v.name == "baseline":
            qo.baseline = v
        else:
            qo.variants.append(v)
    return list(out.values())


def engine_label(engine: str) -> str:
    return ENGINE_NAMES.get(engine, engine)


def ddl(query: str, variant: str, dialect: str) -> str | None:
    """The packaged setup SQL of a variant for a dialect, comments stripped (None: no DDL)."""
    from importlib import resources

    base = resources.files("ducky.sql").joinpath(query)
    for name in (f"{variant}.setup.{dialect}.sql", f"{variant}.setup.sql"):
        f = base.joinpath(name)
        if f.is_file():
            lines = [ln for ln in f.read_text().splitlines() if not ln.lstrip().startswith("--")]
            text = "\n".join(ln for ln in lines if ln.strip())
            return text or None
    return None


def recommendation(qo: QueryOpt) -> str:
    """One sentence: what to apply for this (engine, query), from the measured speedups."""
    opt = next((v for v in qo.variants if v.name == "optimized"), None)
    roll = next((v for v in qo.variants if v.name == "rollup"), None)
    parts = []
    # A variant whose rows differ from the baseline is wrong, however fast: never recommended.
    for v in (opt, roll):
        if v is not None and not v.parity:
            parts.append(f"do not use the {v.name} variant: its rows differ from the baseline")
    opt = opt if opt is not None and opt.parity else None
    roll = roll if roll is not None and roll.parity else None
    noisy = [(v, qo.unreliable(v)) for v in (opt, roll) if v is not None and v.speedup is not None]
    why = next((w for _, w in noisy if w), None)
    if why:
        # Timings too few or too small to tell a gain from noise: report, do not recommend.
        parts.append(
            f"not enough evidence to recommend a variant ({why}): rerun `ducky bench -n "
            f"{MIN_RUNS}` on data where the baseline takes at least {MIN_BASELINE_S * 1000:g} ms"
        )
        return "; ".join(parts)
    if opt and opt.speedup is not None and opt.speedup < NO_GAIN:
        plan = f" ({qo.baseline.bottleneck})" if qo.baseline and qo.baseline.bottleneck else ""
        if "index" in opt.kinds:
            parts.append(f"the indexes do not pay off{plan}: skip them")
        else:
            parts.append(f"no gain from the rewrite: a full scan is already the plan{plan}")
    elif opt and opt.speedup is not None:
        parts.append(f"apply the {opt.what} ({fmt.speed(opt.speedup)})")
    if roll and roll.speedup is not None and roll.speedup >= NO_GAIN:
        cost = f"build {fmt.dur(roll.build_s)}"
        if roll.slowdown:
            cost += f", inserts {fmt.speed(roll.slowdown)} slower"
        parts.append(f"use the rollup for dashboards ({fmt.speed(roll.speedup)}; {cost})")
    return "; ".join(parts) if parts else "no variant beat the baseline: keep it"
