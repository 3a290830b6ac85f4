"""A few computed sentences about a cohort matrix (CLI footer and the HTML report).

Every sentence uses complete cells only: a censored cell is unknown, not low. A week-to-week
change is measured over the cohorts complete at both weeks (never over an average whose cohorts
change between the two weeks), and every comparison says whether it is beyond noise:

* two rates (a week-to-week change, best against worst cohort) are compared with a
  two-proportion z-test on the retained counts, pooled; |z| >= 1.96 (about 95 %) is "beyond
  noise". Best against worst is the widest of all the pairs of cohorts, so its threshold is
  raised for the number of pairs (Bonferroni);
* a week-1 trend needs `TREND_MIN_COHORTS` complete cohorts and a least-squares slope at least
  1.96 standard errors from 0, the standard error computed from the binomial error of each
  cohort's rate (under "no trend": every cohort at the pooled rate).

The report's brief gives advice only from changes beyond noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from ducky.cohort.matrix import Cohort, CohortMatrix

FOCUS_WEEK = 4  # "how many are still around after a month" is the question people ask first
FLAT_PP = 0.5  # |slope| below this many percentage points per month reads as "flat"
NOISE_Z = 1.96  # |z| at or above this: beyond noise (two-sided, about 95 %)
TREND_MIN_COHORTS = 3  # two points always make a line: no trend from fewer
PLATEAU_PP = 1.0  # every later week-to-week change below this: the curve has levelled off

NOISE_RULE = (
    "Noise rule: two retention rates count as different only when a two-proportion z-test on "
    "the retained users gives |z| \u2265 1.96 (about 95 %; for best against worst cohort the bar "
    "is raised for the number of cohort pairs); a week-to-week change compares the same cohorts "
    "at both weeks; a week-1 trend needs 3 or more cohorts and a least-squares slope at least "
    "1.96 binomial standard errors from 0. Smaller differences are called within noise and "
    "drive no advice."
)


def pct(rate: float) -> str:
    return f"{100 * rate:.1f} %"


def _months_apart(a: Cohort, b: Cohort) -> int:
    return (b.month.year - a.month.year) * 12 + b.month.month - a.month.month


# -- noise ----------------------------------------------------------------------------------
def z_two_proportions(x1: int, n1: int, x2: int, n2: int) -> float:
    """z of p2 - p1 (pooled two-proportion test); 0 when there is no variance to test."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return (x2 / n2 - x1 / n1) / se if se > 0 else 0.0


def bonferroni_z(comparisons: int) -> float:
    """The |z| bar of a two-sided 5 % test repeated over `comparisons` pairs."""
    if comparisons <= 1:
        return NOISE_Z
    return NormalDist().inv_cdf(1 - 0.05 / (2 * comparisons))


def _noise(z: float, bar: float = NOISE_Z, cohorts: int = 2) -> str:
    """ "beyond noise, z = ..." or "within noise, z = ...", naming a raised bar."""
    said = f"{'beyond' if abs(z) >= bar else 'within'} noise, z = {z:.2f}"
    if cohorts > 2:
        said += (
            f" (bar {bar:.2f} for the {cohorts * (cohorts - 1) // 2} pairs of {cohorts} cohorts)"
        )
    return said


# -- week-to-week steps ---------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """Week k-1 -> k over the cohorts complete at week k (so also at k-1): like with like."""

    week: int
    before: float
    after: float
    users: int
    cohorts: int
    z: float  # of after - before: negative for a loss

    @property
    def pp(self) -> float:
        """The drop in percentage points (negative: the rate rose)."""
        return 100 * (self.before - self.after)

    @property
    def real(self) -> bool:
        return abs(self.z) >= NOISE_Z


def steps(matrix: CohortMatrix) -> list[Step]:
    out = []
    for k in range(1, matrix.weeks + 1):
        done = [c for c in matrix.cohorts if c.size > 0 and c.complete(k)]
        users = sum(c.size for c in done)
        if not users:
            continue
        x0 = sum(c.retained[k - 1] for c in done)
        x1 = sum(c.retained[k] for c in done)
        out.append(
            Step(
                k, x0 / users, x1 / users, users, len(done), z_two_proportions(x0, users, x1, users)
            )
        )
    return out


def drops(matrix: CohortMatrix) -> list[tuple[int, float, float, float]]:
    """(week k, rate at k-1, rate at k, drop in pp) for k = 1..N.

    Both rates come from the same cohorts, those complete at week k (complete at k implies
    complete at k-1), so a drop is never an artefact of a cohort leaving the average."""
    return [(s.week, s.before, s.after, s.pp) for s in steps(matrix)]


def campaign_step(matrix: CohortMatrix) -> Step | None:
    """The steepest return-week loss (week >= 2) that is beyond noise, if any."""
    real = [s for s in steps(matrix) if s.week >= 2 and s.pp > 0 and s.real]
    return max(real, key=lambda s: s.pp) if real else None


# -- best and worst cohort -------------------------------------------------------------------
@dataclass(frozen=True)
class Gap:
    week: int
    cohorts: int  # complete at `week`
    best: Cohort
    worst: Cohort
    z: float  # worst against best (negative or 0)
    bar: float  # |z| needed, raised for the number of cohort pairs

    @property
    def real(self) -> bool:
        return abs(self.z) >= self.bar


def best_worst(matrix: CohortMatrix, week: int = FOCUS_WEEK) -> Gap | None:
    """Best and worst cohort at `week` among those complete (ties: larger, then older, first)."""
    week = min(week, matrix.weeks)
    done = [c for c in matrix.cohorts if c.size > 0 and c.complete(week)]
    if len(done) < 2:
        return None
    ranked = sorted(done, key=lambda c: (-(c.rates[week] or 0.0), -c.size, c.month))
    best, worst = ranked[0], ranked[-1]
    z = z_two_proportions(best.retained[week], best.size, worst.retained[week], worst.size)
    return Gap(week, len(done), best, worst, z, bonferroni_z(len(done) * (len(done) - 1) // 2))


def best_and_worst(matrix: CohortMatrix, week: int = FOCUS_WEEK) -> str:
    week = min(week, matrix.weeks)
    done = [c for c in matrix.cohorts if c.size > 0 and c.complete(week)]
    if not done:
        return f"No cohort has been observed long enough to compare week {week}."
    if len(done) == 1:
        return (
            f"Only cohort {done[0].month:%Y-%m} is complete at week {week}: "
            f"{pct(done[0].rates[week] or 0.0)} retained."
        )
    gap = best_worst(matrix, week)
    assert gap is not None
    best, worst = gap.best, gap.worst
    if best.rates[week] == worst.rates[week]:
        return (
            f"Week {week}: all {len(done)} complete cohorts retain the same "
            f"{pct(best.rates[week] or 0.0)}."
        )
    return (
        f"Week {week}: the best cohort is {best.month:%Y-%m} ({pct(best.rates[week] or 0.0)} of "
        f"{best.size:,}), the worst is {worst.month:%Y-%m} ({pct(worst.rates[week] or 0.0)} "
        f"of {worst.size:,}), among {len(done)} complete cohorts; the gap is "
        f"{_noise(gap.z, gap.bar, len(done))}."
    )


# -- week-1 trend ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    cohorts: tuple[Cohort, ...]  # complete at week 1, oldest first
    slope: float | None  # pp per calendar month; None with fewer than TREND_MIN_COHORTS
    se: float | None  # its standard error (binomial, under "no trend")
    z2: float | None  # two cohorts only: z of the second against the first

    @property
    def direction(self) -> str | None:
        """rising | falling | flat | unclear; None: too few cohorts for a trend."""
        if self.slope is None or self.se is None:
            return None
        real = self.se > 0 and abs(self.slope) >= NOISE_Z * self.se
        if real and abs(self.slope) >= FLAT_PP:
            return "rising" if self.slope > 0 else "falling"
        if abs(self.slope) + NOISE_Z * self.se < FLAT_PP or (real and abs(self.slope) < FLAT_PP):
            return "flat"
        return "unclear"


def trend(matrix: CohortMatrix) -> Trend | None:
    if matrix.weeks < 1:
        return None
    pts = tuple(c for c in matrix.cohorts if c.size > 0 and c.complete(1))
    if len(pts) < TREND_MIN_COHORTS:
        z2 = None
        if len(pts) == 2:
            a, b = pts
            z2 = z_two_proportions(a.retained[1], a.size, b.retained[1], b.size)
        return Trend(pts, None, None, z2)
    # Least-squares slope against the calendar month (gaps between cohorts count as months).
    xs = [_months_apart(pts[0], c) for c in pts]
    ys = [100 * (c.rates[1] or 0.0) for c in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    # Its standard error if every cohort had the pooled rate: var(y_i) = p(1 - p) / n_i.
    p = sum(c.retained[1] for c in pts) / sum(c.size for c in pts)
    var = sum((x - mx) ** 2 * 1e4 * p * (1 - p) / c.size for x, c in zip(xs, pts, strict=True))
    return Trend(pts, slope, math.sqrt(var) / sxx, None)


def week1_trend(matrix: CohortMatrix) -> str:
    if matrix.weeks < 1:
        return "Week-1 retention is not shown (--weeks 0)."
    t = trend(matrix)
    assert t is not None
    pts = t.cohorts
    if t.slope is None or t.se is None:
        if len(pts) < 2:
            return (
                f"Week-1 retention: {len(pts)} complete cohort; a trend needs at least "
                f"{TREND_MIN_COHORTS}."
            )
        listed = ", ".join(f"{pct(c.rates[1] or 0.0)} for {c.month:%Y-%m}" for c in pts)
        return (
            f"Week-1 retention: only {len(pts)} complete cohorts ({listed}; the difference is "
            f"{_noise(t.z2 or 0.0)}); a trend needs at least {TREND_MIN_COHORTS}."
        )
    said = {
        "rising": "is rising",
        "falling": "is falling",
        "flat": "is flat",
        "unclear": "shows no clear trend",
    }[t.direction or "unclear"]
    verdict = (
        f"under {FLAT_PP} pp per month"
        if t.direction == "flat"
        else ("beyond noise" if t.direction in ("rising", "falling") else "within noise")
    )
    return (
        f"Week-1 retention {said} across {len(pts)} cohorts: "
        f"{pct(pts[0].rates[1] or 0.0)} for {pts[0].month:%Y-%m} to "
        f"{pct(pts[-1].rates[1] or 0.0)} for {pts[-1].month:%Y-%m} "
        f"({round(t.slope, 1) or 0.0:+.1f} pp per month, least-squares; "
        f"standard error {t.se:.1f} pp: {verdict})."
    )


# -- drop-off and shape ----------------------------------------------------------------------
def biggest_drop(matrix: CohortMatrix) -> str:
    all_steps = steps(matrix)
    if not all_steps:
        return "No week after week 0 is complete yet, so there is no drop-off to report."
    big = max(all_steps, key=lambda s: s.pp)
    sentence = (
        f"The biggest drop-off is week {big.week - 1} → {big.week}: {pct(big.before)} → "
        f"{pct(big.after)} ({big.pp:.1f} pp, weighted over the cohorts complete at week "
        f"{big.week}{'' if big.real else '; ' + _noise(big.z)})"
    )
    # Week 0 -> 1 is nearly always the steepest (week 0 includes the signup day itself), so
    # also name the steepest drop among the return weeks, which is the actionable one.
    later = [s for s in all_steps if s.week >= 2 and s.pp > 0]
    if big.week == 1 and later:
        s2 = max(later, key=lambda s: s.pp)
        sentence += (
            f"; among the return weeks the steepest is week {s2.week - 1} → {s2.week}: "
            f"{pct(s2.before)} → {pct(s2.after)} ({s2.pp:.1f} pp, {s2.users:,} users; "
            f"{_noise(s2.z)})"
        )
        best = campaign_step(matrix)
        if best is None:
            sentence += "; no return-week loss is beyond noise"
        elif best.week != s2.week:
            sentence += (
                f"; the steepest beyond noise is week {best.week - 1} → {best.week}: "
                f"{pct(best.before)} → {pct(best.after)} ({best.pp:.1f} pp)"
            )
    return sentence + "."


@dataclass(frozen=True)
class Shape:
    """The retention curve from week 1 to the last observed week, like with like."""

    last_week: int  # the last week any cohort is complete at
    cohorts: tuple[Cohort, ...]  # the cohorts complete at last_week (so at every week before)
    first: float  # their pooled rate at week 1
    last: float  # ... and at last_week
    z: float  # last against first
    rises: tuple[Step, ...]  # week-to-week rises beyond noise (week >= 2)
    plateau: int | None  # from this week on, every week-to-week change is < PLATEAU_PP

    @property
    def users(self) -> int:
        return sum(c.size for c in self.cohorts)

    @property
    def real(self) -> bool:
        return abs(self.z) >= NOISE_Z

    def who(self) -> str:
        if len(self.cohorts) == 1:
            return f"cohort {self.cohorts[0].month:%Y-%m} ({self.users:,} users)"
        return f"the {len(self.cohorts)} cohorts observed that long ({self.users:,} users)"


def shape(matrix: CohortMatrix) -> Shape | None:
    """None until some cohort is complete at week 2 (a curve needs two return weeks)."""
    last = max(
        (
            k
            for k in range(matrix.weeks + 1)
            for c in matrix.cohorts
            if c.size > 0 and c.complete(k)
        ),
        default=0,
    )
    if last < 2:
        return None
    done = tuple(c for c in matrix.cohorts if c.size > 0 and c.complete(last))
    users = sum(c.size for c in done)
    x1 = sum(c.retained[1] for c in done)
    xk = sum(c.retained[last] for c in done)
    later = [s for s in steps(matrix) if s.week >= 2]
    rises = tuple(s for s in later if s.pp < 0 and s.real)
    plateau = None
    for i in range(len(later)):
        rest = later[i:]
        if len(rest) >= 2 and all(abs(s.pp) < PLATEAU_PP for s in rest):
            plateau = rest[0].week - 1
            break
    return Shape(
        last, done, x1 / users, xk / users, z_two_proportions(x1, users, xk, users), rises, plateau
    )


def shape_sentence(matrix: CohortMatrix) -> str | None:
    s = shape(matrix)
    if s is None:
        return None
    span = f"{pct(s.first)} in week 1 to {pct(s.last)} in week {s.last_week}"
    if s.plateau is not None:
        return (
            f"The curve levels off from week {s.plateau}: every later week-to-week change is "
            f"under {PLATEAU_PP:.0f} pp (same cohorts at both weeks); over {s.who()} it goes "
            f"from {span}."
        )
    if not s.real:
        return (
            f"Over {s.who()}, retention goes from {span}; that change is {_noise(s.z)}: "
            "too few users to tell a fall from a plateau."
        )
    moves = "falls" if s.last < s.first else "rises"
    text = f"No plateau yet: over {s.who()}, retention {moves} from {span} ({_noise(s.z)})"
    if s.rises:
        ups = ", ".join(
            f"{r.week} ({pct(r.before)} → {pct(r.after)}, {r.users:,} users)" for r in s.rises
        )
        text += f"; it rises again beyond noise in week{'s' if len(s.rises) > 1 else ''} {ups}"
    return text + "."


def insights(matrix: CohortMatrix) -> list[str]:
    """The sentences printed under the cohort table and in the report, in reading order."""
    if not matrix.cohorts:
        return ["No cohorts to describe."]
    out = [best_and_worst(matrix), week1_trend(matrix), biggest_drop(matrix)]
    curve = shape_sentence(matrix)
    if curve:
        out.append(curve)
    if matrix.empty_months:
        months = ", ".join(f"{m:%Y-%m}" for m in matrix.empty_months)
        out.append(f"No signups in {months}: such months have no cohort row.")
    out.append(NOISE_RULE)
    return out
