"""The one-page strategy brief: prose written from this run's own results.

Every sentence is a template filled with numbers formatted by `ducky.report.fmt`, the same
formatter the evidence tables below use, so each number in the brief is a cell (or a computed
insight sentence) of a table further down the page. The sentences are also the "facts" an
optional language model may rephrase (`ducky.report.narrate`): its output is checked against
the numbers of these sentences.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ducky.report import fmt
from ducky.report import html as h

if TYPE_CHECKING:
    from ducky.cohort.matrix import CohortMatrix
    from ducky.report.business import Business
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
    part.sentences += month_sentences(b, data_days(ctx))
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
        who = "user" if n1 == 1 else "users"
        part.sentences.append(f"Funnel: {fmt.count(n1)} {who} viewed a product; {said}.{notes}")
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
    part = Part("brief-retention", "Retention insights")
    result = ctx.cohort()
    if result is None or not result.matrix.cohorts:
        part.ran = False
        part.sentences.append("No cohorts to describe: run `ducky cohort`.")
        return part
    sentences, bullets = retention_text(result.matrix)
    part.sentences += sentences
    part.bullets += bullets
    return part


def retention_text(m: CohortMatrix) -> tuple[list[str], list[str]]:
    """(prose, actions) about a cohort matrix, in a manager's words.

    Every comparison is like with like (the same cohorts at both weeks) and every action rests
    on a difference beyond noise (`ducky.cohort.insights`: the test and its bar are stated in
    the evidence, under the cohort table); the numbers are those of the insight sentences."""
    from ducky.cohort.insights import (
        PLATEAU_PP,
        best_worst,
        campaign_step,
        shape,
        steps,
        trend,
    )

    out: list[str] = []
    actions: list[str] = []
    all_steps = steps(m)
    if all_steps:
        big = max(all_steps, key=lambda s: s.pp)
        out.append(
            f"Shape: the biggest drop-off is week {big.week - 1} \u2192 {big.week} "
            f"({fmt.pct(big.before)} \u2192 {fmt.pct(big.after)} of the cohorts complete at "
            f"week {big.week}){'' if big.real else ', within noise'}."
        )
    sh = shape(m)
    if sh is not None:
        span = f"{fmt.pct(sh.first)} in week 1 to {fmt.pct(sh.last)} in week {sh.last_week}"
        if sh.plateau is not None:
            out.append(
                f"From week {sh.plateau} on, retention levels off: each later week changes it "
                f"by less than {PLATEAU_PP:.0f} point; over {sh.who()} it goes from {span}."
            )
        elif not sh.real:
            out.append(
                f"Over {sh.who()}, retention goes from {span}: too few users to tell whether "
                "it is still falling or has levelled off."
            )
        else:
            moves = "falls" if sh.last < sh.first else "rises"
            text = f"No plateau yet: over {sh.who()}, retention {moves} from {span}"
            if sh.rises:
                weeks = ", ".join(
                    f"{r.week} ({fmt.pct(r.before)} \u2192 {fmt.pct(r.after)})" for r in sh.rises
                )
                text += f"; it rises again in week{'s' if len(sh.rises) > 1 else ''} {weeks}"
            out.append(text + ".")
    gap = best_worst(m)
    if gap is not None and gap.best.rates[gap.week] != gap.worst.rates[gap.week]:
        b, w, k = gap.best, gap.worst, gap.week
        out.append(
            f"Week {k}: best cohort {b.month:%Y-%m} ({fmt.pct(b.rates[k] or 0.0)} of "
            f"{fmt.count(b.size)}), worst {w.month:%Y-%m} ({fmt.pct(w.rates[k] or 0.0)} of "
            f"{fmt.count(w.size)}), among {gap.cohorts} complete cohorts"
            + ("." if gap.real else "; the gap is within noise, so no cohort stands out.")
        )
    t = trend(m)
    direction = t.direction if t else None
    if t is not None and t.cohorts:
        first, last = t.cohorts[0], t.cohorts[-1]
        ends = (
            f"{fmt.pct(first.rates[1] or 0.0)} for {first.month:%Y-%m} to "
            f"{fmt.pct(last.rates[1] or 0.0)} for {last.month:%Y-%m}"
        )
        if t.slope is None:
            out.append(
                f"Trend: {len(t.cohorts)} complete cohort{'s are' if len(t.cohorts) > 1 else ' is'}"
                " too few to call a week-1 trend (3 needed)."
            )
        elif direction in ("rising", "falling"):
            out.append(
                f"Trend: week-1 retention is {direction} across {len(t.cohorts)} cohorts, "
                f"{ends} (about {round(t.slope, 1):+.1f} points a month)."
            )
        elif direction == "flat":
            out.append(
                f"Trend: week-1 retention is stable across {len(t.cohorts)} cohorts, {ends}."
            )
        else:
            out.append(
                f"Trend: week-1 retention goes from {ends} across {len(t.cohorts)} cohorts, "
                "within noise: no clear trend."
            )
    # Actions, each tied to a difference beyond noise stated above or in the evidence.
    camp = campaign_step(m)
    first_step = next((s for s in all_steps if s.week == 1), None)
    if camp is not None:
        actions.append(
            f"Send the re-engagement campaign in week {camp.week - 1} after signup, before the "
            f"largest clear loss among the return weeks (week {camp.week - 1} \u2192 "
            f"{camp.week}: {fmt.pct(camp.before)} \u2192 {fmt.pct(camp.after)})."
        )
    elif first_step is not None and first_step.real and first_step.pp > 0:
        actions.append(
            "Send the first re-engagement message within week 1 after signup: week 0 \u2192 1 "
            "is where most users are lost; no later week's loss stands out from noise yet."
        )
    if gap is not None and gap.real:
        actions.append(
            f"Examine the acquisition channels of cohort {gap.worst.month:%Y-%m} "
            f"(n={fmt.count(gap.worst.size)}) against {gap.best.month:%Y-%m} "
            f"(n={fmt.count(gap.best.size)}), and repeat what brought the better one."
        )
    if direction == "falling":
        actions.append(
            "Week-1 retention is falling: review onboarding and first-week offers changed "
            "over the period."
        )
    elif direction == "rising":
        actions.append(
            "Week-1 retention is rising: keep the onboarding changes of the recent months."
        )
    return out, actions


def segmentation_part(ctx: ReportContext) -> Part:
    from ducky.report.segments_section import (
        BRIEF_BY_REVENUE,
        BRIEF_BY_USERS,
        for_brief,
        holding_groups,
        line,
        readings,
    )

    part = Part("brief-segments", "Segmentation rationale")
    doc = ctx.segments()
    segs = doc.get("segments") if doc else None
    if not doc or not isinstance(segs, list):
        part.ran = False
        part.sentences.append("No segmentation run yet: run `ducky segment` to add it.")
        return part
    b = ctx.business()
    every = readings(doc, b)
    users = sum(r.users for r in every)
    main = b.totals[0] if b.totals else None
    cur = f" ({main.currency})" if main and main.currency else ""
    held = sum(int(g.get("users") or 0) for g in holding_groups(doc))
    part.sentences.append(
        f"{fmt.count(users)} users are grouped into {len(every)} segments by what they search "
        "for"
        + (
            f" ({fmt.count(held)} more, who search in other languages, are set aside)"
            if held
            else ""
        )
        + "; how the groups were formed and checked is under \u201cSegment value: "
        "evidence\u201d."
    )
    picked = for_brief(every)
    part.sentences.append(
        f"Listed: the {BRIEF_BY_REVENUE} segments with the most revenue{cur} and the "
        f"{BRIEF_BY_USERS} with the most users, most revenue first."
        if main
        else f"Listed: the {BRIEF_BY_USERS} segments with the most users (no purchases yet)."
    )
    part.bullets += [line(r) for r in picked]
    rest = len(every) - len(picked)
    if rest:
        # Only a count here: every figure in the brief must be one a reader finds below.
        part.bullets.append(
            f"The other {rest} segment{'s' if rest > 1 else ''}: same figures, reading and "
            "action under \u201cSegment value: evidence\u201d."
        )
    return part


def data_days(ctx: ReportContext) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day with events (the manifest's range), for partial months/weeks."""
    try:
        rng = ctx.manifest().date_range
    except Exception:  # a source without a summary: no partial-period marks
        return None, None

    def day(v: object) -> dt.date | None:
        try:
            return dt.date.fromisoformat(str(v)[:10]) if v else None
        except ValueError:
            return None

    return day(rng.get("first_event")), day(rng.get("last_event"))


def month_complete(start: dt.date, first: dt.date | None, last: dt.date | None) -> bool:
    """Whether the data covers the whole calendar month starting at `start` (unknown: yes)."""
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return (first is None or first <= start) and (last is None or last >= end)


def month_sentences(
    b: Business, days: tuple[dt.date | None, dt.date | None] = (None, None)
) -> list[str]:
    """Revenue by month of the largest currency, said with its currency; months the data
    covers only in part are left out of the range and named as partial."""
    if not b.totals:
        return []
    main = b.totals[0].currency
    months = [p for p in b.by_month if p.currency == main]
    full = [p for p in months if month_complete(p.start, *days)]
    if len(full) < 2:
        return []
    others = [t.currency for t in b.totals[1:] if t.currency]
    where = f"in {main}" if main else ""
    if others:
        n = len(others)
        where += (
            f" (the largest of {n + 1} currencies; {', '.join(others)} "
            f"{'is' if n == 1 else 'are'} in the tables below)"
        )
    best = max(full, key=lambda p: p.revenue)
    worst = min(full, key=lambda p: p.revenue)
    text = (
        f"By month{' ' + where if where else ''}, revenue ranges from "
        f"{fmt.money(worst.revenue)} ({worst.start:%Y-%m}) to {fmt.money(best.revenue)} "
        f"({best.start:%Y-%m})"
    )
    partial = [p for p in months if p not in full]
    if partial:
        text += (
            f" over the {len(full)} full months; "
            + ", ".join(f"{p.start:%Y-%m}" for p in partial)
            + (" is" if len(partial) == 1 else " are")
            + " only partly in the data"
        )
    last = months[-1]
    if last in full:
        text += f"; the last month, {last.start:%Y-%m}, brought {fmt.money(last.revenue)}"
    return [text + "."]


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
