"""A few computed sentences about a cohort matrix (CLI footer and the HTML report).

Every sentence uses complete cells only: a censored cell is unknown, not low.
"""

from __future__ import annotations

from ducky.cohort.matrix import Cohort, CohortMatrix

FOCUS_WEEK = 4  # "how many are still around after a month" is the question people ask first
FLAT_PP = 0.5  # |slope| below this many percentage points per month reads as "flat"


def pct(rate: float) -> str:
    return f"{100 * rate:.1f} %"


def _months_apart(a: Cohort, b: Cohort) -> int:
    return (b.month.year - a.month.year) * 12 + b.month.month - a.month.month


def best_and_worst(matrix: CohortMatrix, week: int = FOCUS_WEEK) -> str:
    week = min(week, matrix.weeks)
    done = [c for c in matrix.cohorts if c.size > 0 and c.complete(week)]
    if not done:
        return f"No cohort has been observed long enough to compare week {week}."
    # Highest rate first; ties go to the larger, then the older, cohort.
    ranked = sorted(done, key=lambda c: (-(c.rates[week] or 0.0), -c.size, c.month))
    best, worst = ranked[0], ranked[-1]
    if len(done) > 1 and best.rates[week] == worst.rates[week]:
        return (
            f"Week {week}: all {len(done)} complete cohorts retain the same "
            f"{pct(best.rates[week] or 0.0)}."
        )
    if len(done) == 1:
        return (
            f"Only cohort {best.month:%Y-%m} is complete at week {week}: "
            f"{pct(best.rates[week] or 0.0)} retained."
        )
    return (
        f"Week {week}: the best cohort is {best.month:%Y-%m} ({pct(best.rates[week] or 0.0)} of "
        f"{best.size:,}), the worst is {worst.month:%Y-%m} ({pct(worst.rates[week] or 0.0)} "
        f"of {worst.size:,}), among {len(done)} complete cohorts."
    )


def week1_trend(matrix: CohortMatrix) -> str:
    if matrix.weeks < 1:
        return "Week-1 retention is not shown (--weeks 0)."
    pts = [c for c in matrix.cohorts if c.size > 0 and c.complete(1)]
    if len(pts) < 2:
        return "Week-1 retention needs at least two complete cohorts to show a trend."
    # Least-squares slope against the calendar month (gaps between cohorts count as months).
    xs = [_months_apart(pts[0], c) for c in pts]
    ys = [100 * (c.rates[1] or 0.0) for c in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    direction = "flat" if abs(slope) < FLAT_PP else ("rising" if slope > 0 else "falling")
    return (
        f"Week-1 retention is {direction} across {len(pts)} cohorts: "
        f"{pct(pts[0].rates[1] or 0.0)} for {pts[0].month:%Y-%m} to "
        f"{pct(pts[-1].rates[1] or 0.0)} for {pts[-1].month:%Y-%m} "
        f"({slope:+.1f} pp per month, least-squares)."
    )


def drops(matrix: CohortMatrix) -> list[tuple[int, float, float, float]]:
    """(week k, rate at k-1, rate at k, drop in pp) for k = 1..N.

    Both rates come from the same cohorts, those complete at week k (complete at k implies
    complete at k-1), so a drop is never an artefact of a cohort leaving the average."""
    out = []
    for k in range(1, matrix.weeks + 1):
        done = [c for c in matrix.cohorts if c.size > 0 and c.complete(k)]
        users = sum(c.size for c in done)
        if not users:
            continue
        before = sum(c.retained[k - 1] for c in done) / users
        after = sum(c.retained[k] for c in done) / users
        out.append((k, before, after, 100 * (before - after)))
    return out


def biggest_drop(matrix: CohortMatrix) -> str:
    steps = drops(matrix)
    if not steps:
        return "No week after week 0 is complete yet, so there is no drop-off to report."
    k, before, after, pp = max(steps, key=lambda s: s[3])
    sentence = (
        f"The biggest drop-off is week {k - 1} → {k}: {pct(before)} → {pct(after)} "
        f"({pp:.1f} pp, weighted over the cohorts complete at week {k})"
    )
    # Week 0 -> 1 is nearly always the steepest (week 0 includes the signup day itself), so
    # also name the steepest drop among the return weeks, which is the actionable one.
    later = [s for s in steps if s[0] >= 2 and s[3] > 0]
    if k == 1 and later:
        k2, before2, after2, pp2 = max(later, key=lambda s: s[3])
        sentence += (
            f"; among the return weeks the steepest is week {k2 - 1} → {k2}: "
            f"{pct(before2)} → {pct(after2)} ({pp2:.1f} pp)"
        )
    return sentence + "."


def insights(matrix: CohortMatrix) -> list[str]:
    """The sentences printed under the cohort table and in the report, in reading order."""
    if not matrix.cohorts:
        return ["No cohorts to describe."]
    out = [best_and_worst(matrix), week1_trend(matrix), biggest_drop(matrix)]
    if matrix.empty_months:
        months = ", ".join(f"{m:%Y-%m}" for m in matrix.empty_months)
        out.append(f"No signups in {months}: such months have no cohort row.")
    return out
