"""The one-page strategy brief: prose written from this run's own results.

Every sentence is a template filled with numbers formatted by `ducky.report.fmt`, the same
formatter the evidence tables below use, so each number in the brief is a cell (or a computed
insight sentence) of a table further down the page. The sentences are also the "facts" an
optional language model may rephrase (`ducky.report.narrate`): its output is checked against
the numbers of these sentences.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ducky.report import fmt
from ducky.report import html as h

if TYPE_CHECKING:
    from ducky.report.context import ReportContext

NUMBER = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")  # no trailing comma


@dataclass
class Part:
    id: str
    title: str
    sentences: list[str] = field(default_factory=list)  # the prose (may be rephrased)
    bullets: list[str] = field(default_factory=list)  # per-item lines (kept verbatim)
    ran: bool = True


@dataclass
class Brief:
    parts: list[Part]
    narrated_by: str | None = None  # "hf:<model>" when a language model rephrased the prose

    def facts(self) -> list[str]:
        return [s for p in self.parts for s in (*p.sentences, *p.bullets)]

    def numbers(self) -> set[str]:
        return {n for s in self.facts() for n in numbers_in(s)}


def numbers_in(text: str) -> list[str]:
    """The numbers of a sentence as written (thousands separators kept)."""
    return NUMBER.findall(text)


# -- parts -----------------------------------------------------------------------------------
def business_part(ctx: ReportContext) -> Part:
    b = ctx.business()
    part = Part("brief-business", "Business summary")
    if not b.totals:
        part.sentences.append("No purchases in this data directory yet.")
        return part
    for t in b.totals:
        part.sentences.append(
            f"Revenue {fmt.money(t.revenue)}{' ' + t.currency if t.currency else ''} from "
            f"{fmt.count(t.orders)} orders by {fmt.count(t.buyers)} buyers: average order "
            f"value {fmt.money(t.aov)}."
        )
    main = b.totals[0].currency
    months = [p for p in b.by_month if p.currency == main]
    if len(months) >= 2:
        best = max(months, key=lambda p: p.revenue)
        worst = min(months, key=lambda p: p.revenue)
        part.sentences.append(
            f"By month, revenue ranges from {fmt.money(worst.revenue)} ({worst.start:%Y-%m}) "
            f"to {fmt.money(best.revenue)} ({best.start:%Y-%m}); "
            f"the last month, {months[-1].start:%Y-%m}, brought {fmt.money(months[-1].revenue)}."
        )
    steps = b.funnel_rates()
    if steps and steps[0][1]:
        n1 = steps[0][1]
        if len(steps) == 3:
            (_s2, n2, r2), (_s3, n3, r3) = steps[1:]
            said = (
                f"{fmt.count(n2)} of them added to cart ({fmt.pct(r2 or 0.0)}) and "
                f"{fmt.count(n3)} of those purchased ({fmt.pct(r3 or 0.0)}; "
                f"{fmt.pct(n3 / n1)} of viewers)"
            )
        else:  # no add-to-cart events in the data: view -> purchase
            said = f"{fmt.count(steps[-1][1])} of them purchased ({fmt.pct(steps[-1][1] / n1)})"
        notes = "".join(f" {n[0].upper()}{n[1:]}." for n in b.funnel_notes)
        part.sentences.append(f"Funnel: {fmt.count(n1)} users viewed a product; {said}.{notes}")
    if b.buyers:
        part.sentences.append(
            f"Repeat purchase rate {fmt.pct(b.repeat_rate)}: {fmt.count(b.repeat_buyers)} of "
            f"{fmt.count(b.buyers)} buyers ordered more than once."
        )
    return part


def optimization_part(ctx: ReportContext) -> Part:
    from ducky.report.optimize import analyse, engine_label, recommendation

    part = Part("brief-optimizations", "Optimizations made")
    doc = ctx.bench_doc()
    if not doc:
        part.ran = False
        part.sentences.append("No benchmark was run here: run `ducky bench` to measure them.")
        return part
    opts = analyse(doc)
    engines = list(dict.fromkeys(q.engine for q in opts))
    part.sentences.append(
        f"Measured by `ducky bench` on {', '.join(engine_label(e) for e in engines)}: "
        "each query as written (baseline), with indexes or a rewrite (optimized), and from a "
        "pre-aggregated rollup; every variant returned the baseline's rows."
        if all(v.parity for q in opts for v in q.variants)
        else f"Measured by `ducky bench` on {', '.join(engine_label(e) for e in engines)}; "
        "variants whose rows differ from the baseline are not recommended."
    )
    for q in opts:
        if q.baseline is None:
            continue
        line = f"{engine_label(q.engine)} · {q.query}: baseline {fmt.dur(q.baseline.median_s)}"
        opt = next((v for v in q.variants if v.name == "optimized"), None)
        if opt and opt.speedup is not None:
            line += f", optimized {fmt.dur(opt.median_s)} ({fmt.speed(opt.speedup)})"
            if "index" in opt.kinds and opt.speedup >= 1.1 and not q.unreliable(opt):
                line += (
                    f": plan \u201c{q.baseline.bottleneck}\u201d became "
                    f"\u201c{opt.bottleneck}\u201d"
                    f"; cost {fmt.dur(opt.build_s)} to build, {fmt.size(opt.bytes)}"
                )
        line += f". Recommendation: {recommendation(q)}."
        part.bullets.append(line)
    from ducky.report.optimize import ddl

    if any(
        ddl(q.query, v.name, q.dialect)
        for q in opts
        for v in q.variants
        if (v.speedup or 0) >= 1.1 and not q.unreliable(v)
    ):
        part.sentences.append("The DDL to apply is listed under \u201cDDL to apply\u201d below.")
    if any(
        "rewrite" in v.kinds and (v.speedup or 0) >= 1.1 and not q.unreliable(v)
        for q in opts
        for v in q.variants
    ):
        part.sentences.append(
            "A rewrite is printed by `ducky sql show <query> --variant optimized -e <engine>`."
        )
    return part


def retention_part(ctx: ReportContext) -> Part:
    from ducky.cohort.insights import FOCUS_WEEK, drops

    part = Part("brief-retention", "Retention insights")
    result = ctx.cohort()
    if result is None or not result.matrix.cohorts:
        part.ran = False
        part.sentences.append("No cohorts to describe: run `ducky cohort`.")
        return part
    m = result.matrix
    steps = drops(m)
    avg = m.average_rates()
    if steps:
        k, before, after, _pp = max(steps, key=lambda s: s[3])
        part.sentences.append(
            f"Shape: the biggest drop-off is week {k - 1} \u2192 {k} "
            f"({fmt.pct(before)} \u2192 {fmt.pct(after)} of the cohorts complete at week {k})."
        )
    plateau = _plateau(avg)
    if plateau is not None:
        wk, rate = plateau
        part.sentences.append(
            f"From week {wk} on, the average curve flattens at about {fmt.pct(rate)} "
            "(each later week moves it by less than 1 pp)."
        )
    else:
        pts = [(k, r) for k, r in enumerate(avg) if r is not None and k >= 1]
        if len(pts) >= 2:
            part.sentences.append(no_plateau_sentence(pts))
    week = min(FOCUS_WEEK, m.weeks)
    done = [c for c in m.cohorts if c.size > 0 and c.complete(week)]
    ranked = sorted(done, key=lambda c: (-(c.rates[week] or 0.0), -c.size, c.month))
    best = worst = None
    if len(ranked) >= 2:
        best, worst = ranked[0], ranked[-1]
        part.sentences.append(
            f"Week {week}: best cohort {best.month:%Y-%m} ({fmt.pct(best.rates[week] or 0.0)} of "
            f"{fmt.count(best.size)}), worst {worst.month:%Y-%m} "
            f"({fmt.pct(worst.rates[week] or 0.0)} of {fmt.count(worst.size)}), "
            f"among {len(done)} complete cohorts."
        )
    trend = next((s for s in result.insights if s.startswith("Week-1 retention is")), None)
    if trend:
        part.sentences.append("Trend: w" + trend[1:])
    # Actions, each tied to a number above.
    later = [s for s in steps if s[0] >= 2 and s[3] > 0]
    if later:
        k2, b2, a2, _ = max(later, key=lambda s: s[3])
        part.bullets.append(
            f"Send the re-engagement campaign in week {k2 - 1} after signup, before the "
            f"steepest return-week loss (week {k2 - 1} \u2192 {k2}: {fmt.pct(b2)} \u2192 "
            f"{fmt.pct(a2)})."
        )
    elif steps:
        part.bullets.append(
            "Send the first re-engagement message within week 1 after signup: week 0 \u2192 1 "
            "is where most users are lost."
        )
    if best and worst:
        part.bullets.append(
            f"Examine the acquisition channels of cohort {worst.month:%Y-%m} "
            f"(n={fmt.count(worst.size)}) against {best.month:%Y-%m} "
            f"(n={fmt.count(best.size)}), and repeat what brought the better one."
        )
    if trend and " falling " in trend:
        part.bullets.append(
            "Week-1 retention is falling: review onboarding and first-week offers changed "
            "over the period."
        )
    elif trend and " rising " in trend:
        part.bullets.append(
            "Week-1 retention is rising: keep the onboarding changes of the recent months."
        )
    return part


def _plateau(avg: list[float | None]) -> tuple[int, float] | None:
    """First return week from which every later complete week moves by < 1 pp."""
    pts = [(k, r) for k, r in enumerate(avg) if r is not None and k >= 1]
    for i, (k, r) in enumerate(pts):
        rest = pts[i:]
        if len(rest) >= 3 and all(abs(a[1] - b[1]) < 0.01 for a, b in itertools.pairwise(rest)):
            return k, r
    return None


BRIEF_SEGMENTS = 6  # segments named one per line in the one-page brief


def segmentation_part(ctx: ReportContext) -> Part:
    part = Part("brief-segments", "Segmentation rationale")
    doc = ctx.segments()
    segs = doc.get("segments") if doc else None
    if not doc or not isinstance(segs, list):
        part.ran = False
        part.sentences.append("No segmentation run yet: run `ducky segment` to add it.")
        return part
    k = doc.get("k")
    sil = doc.get("silhouette") or {}
    model = doc.get("model") or "an embedding model"
    sentence = f"Method: k-means over each user's search queries embedded with {model}; k = {k}"
    if isinstance(sil, dict) and str(k) in sil:
        ks = sorted(int(x) for x in sil)
        # pick_k takes the smallest k within noise of the best silhouette, not the argmax.
        sentence += (
            f", the smallest k whose silhouette ({sil[str(k)]:.4f}) is within noise of the best"
            f" among k = {ks[0]}..{ks[-1]}"
            if ks
            else ""
        )
    else:
        sentence += " (set by the user, no silhouette search)"
    q = doc.get("quality")
    if isinstance(q, dict) and isinstance(q.get("ari"), int | float):
        sentence += f"; agreement with the generator's planted interests: ARI {q['ari']:.3f}"
    part.sentences.append(sentence + ".")
    b = ctx.business()
    value = {
        v.segment: v
        for v in b.by_segment
        if v.currency == (b.totals[0].currency if b.totals else None)
    }
    total_users = sum(int(s.get("users") or 0) for s in segs if isinstance(s, dict)) or 1
    overall_aov = b.totals[0].aov if b.totals else 0.0
    listed = sorted(
        (s for s in segs if isinstance(s, dict) and "segment" in s),
        key=lambda s: -int(s.get("users") or 0),
    )
    # The brief is one printed page: the largest segments get a line each, the rest one line
    # that points at the evidence (15 interests made 16 lines and pushed the brief to page 2).
    rest = listed[BRIEF_SEGMENTS:]
    for s in listed[:BRIEF_SEGMENTS]:
        name, users = str(s["segment"]), int(s.get("users") or 0)
        v = value.get(name)
        line = f"{name}: {fmt.count(users)} users ({fmt.pct(users / total_users)})"
        if v is not None:
            line += f", revenue {fmt.money(v.revenue)}, AOV {fmt.money(v.aov)}"
        terms = [str(t) for t in (s.get("top_terms") or [])][:3]
        if terms:
            line += f"; searches {', '.join(terms)}"
        sim = s.get("similarity")
        if isinstance(sim, int | float):
            conf = (
                "high"
                if s.get("matched") and sim >= 0.4
                else "medium"
                if s.get("matched")
                else "low"
            )
            line += f"; confidence {conf} (name similarity {sim:.2f})"
        line += f". Action: {_segment_action(v.aov if v else None, overall_aov, terms)}."
        part.bullets.append(line)
    if rest:
        # Only a count here: every figure in the brief must be one a reader finds below.
        part.bullets.append(
            f"{len(rest)} smaller segments: each listed with its size, terms and action in the"
            " evidence below."
        )
    return part


def _segment_action(aov: float | None, overall: float, terms: list[str]) -> str:
    topic = ", ".join(terms[:2]) or "their searches"
    if aov is None or not overall:
        return f"target with {topic} recommendations"
    if aov >= 1.15 * overall:
        return f"high value: premium {topic} picks and loyalty perks to keep them"
    if aov <= 0.85 * overall:
        return f"price-sensitive: bundles and free-shipping thresholds around {topic}"
    return f"cross-sell {topic} in recommendations and email"


def build_brief(ctx: ReportContext) -> Brief:
    return Brief(
        [business_part(ctx), optimization_part(ctx), retention_part(ctx), segmentation_part(ctx)]
    )


def kpis(ctx: ReportContext) -> list[tuple[str, str]]:
    """The headline figures shown above the brief's prose (the same strings as its tables)."""
    b = ctx.business()
    out: list[tuple[str, str]] = []
    if b.totals:
        t = b.totals[0]
        cur = f" ({t.currency})" if t.currency else ""
        out += [
            (f"revenue{cur}", fmt.money(t.revenue)),
            ("orders", fmt.count(t.orders)),
            (f"avg order value{cur}", fmt.money(t.aov)),
            ("repeat purchase rate", fmt.pct(b.repeat_rate)),
        ]
        steps = b.funnel_rates()
        if steps and steps[0][1]:
            # users who viewed and bought / users who viewed (distinct users): at most 100 %
            out.append(("viewers who bought", fmt.pct(b.viewers_who_bought / steps[0][1])))
    return out


def no_plateau_sentence(pts: list[tuple[int, float]]) -> str:
    """The average curve without a plateau, said as the data has it: "keeps falling" only when
    every week is below the one before; otherwise the weeks where it rises again are named."""
    (k0, r0), (k1, r1) = pts[0], pts[-1]
    span = f"from {fmt.pct(r0)} in week {k0} to {fmt.pct(r1)} in week {k1}"
    ups = [k for (_, a), (k, b) in itertools.pairwise(pts) if b > a]
    if not ups:
        return f"No plateau yet: the average keeps falling {span}."
    weeks = ", ".join(str(k) for k in ups)
    trend = "falls" if r1 < r0 else "moves"
    return (
        f"No plateau yet: the average {trend} {span}, not steadily: it rises again in "
        f"week{'s' if len(ups) > 1 else ''} {weeks}."
    )


def render_brief(brief: Brief, headline: list[tuple[str, str]] | None = None) -> str:
    """The brief's HTML: a print page of its own (see style.css, `.brief`)."""
    strip = "".join(
        f'<div class="kpi">{h.esc(k)}<b>{h.esc(v)}</b></div>' for k, v in headline or []
    )
    cols = []
    for p in brief.parts:
        prose = " ".join(h.esc(s) for s in p.sentences)
        items = "".join(f"<li>{h.esc(b)}</li>" for b in p.bullets)
        cols.append(
            f'<div class="part" id="{h.esc(p.id)}" data-ran="{str(p.ran).lower()}">'
            f"<h3>{h.esc(p.title)}</h3><p>{prose}</p>"
            + (f"<ul>{items}</ul>" if items else "")
            + "</div>"
        )
    note = (
        f'<p class="narrated">Prose rephrased by {h.esc(brief.narrated_by)}; every number '
        "checked against the results below.</p>"
        if brief.narrated_by
        else ""
    )
    return (
        '<section id="brief" class="brief" data-ran="true"><h2>Strategy brief</h2>'
        '<p class="sub">Written from this run\u2019s results; every number is in a table '
        "or chart caption on the following pages.</p>"
        + (f'<div class="kpis">{strip}</div>' if strip else "")
        + f'<div class="parts">{"".join(cols)}</div>{note}</section>'
    )
