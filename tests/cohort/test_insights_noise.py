"""Retention claims only from like-with-like comparisons beyond noise, on hand-made matrices
whose answers are worked out by hand: a rise that is only a cohort leaving the average, a trend
from two cohorts, a campaign week resting on an 8-user difference."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

import ducky.cohort.insights as ins
from ducky.cohort.insights import insights, week1_trend
from ducky.cohort.matrix import Cohort, CohortMatrix, weighted_average


def matrix(*rows: tuple[int, int, list[int], int], weeks: int = 8) -> CohortMatrix:
    """rows: (month number in 2025, size, retained per week 0.., last complete week)."""
    cohorts = []
    for month, size, retained, done in rows:
        kept = tuple(retained + [0] * (weeks + 1 - len(retained)))
        rates = tuple(kept[k] / size if k <= done else None for k in range(weeks + 1))
        cohorts.append(Cohort(dt.date(2025, month, 1), size, kept, rates))
    t = tuple(cohorts)
    return CohortMatrix(weeks, t, weighted_average(t, weeks), ())


class Ctx:
    """Just what the brief's retention part reads from a ReportContext."""

    def __init__(self, m: CohortMatrix) -> None:
        self._result = SimpleNamespace(matrix=m, insights=insights(m))

    def cohort(self) -> Any:
        return self._result


def brief_text(m: CohortMatrix) -> str:
    from ducky.report.brief import retention_part

    part = retention_part(Ctx(m))  # type: ignore[arg-type]
    return " ".join([*part.sentences, *part.bullets])


def test_z_of_two_proportions_by_hand() -> None:
    # 44/103 -> 36/103: pooled p = 80/206, se = sqrt(p (1 - p) 2/103) = 0.0679, z = -1.14
    assert ins.z_two_proportions(44, 103, 36, 103) == pytest.approx(-1.1436, abs=1e-4)
    assert ins.z_two_proportions(0, 10, 0, 10) == 0.0  # no variance: nothing to call


# January is small and loyal, observed 8 weeks; February is large and leaves fast, observed 3.
# The weighted average goes 110/1100 = 10.0 % at week 3 -> 38/100 = 38.0 % at week 4 only
# because February leaves the average; January itself falls every week.
DROPOUT = matrix(
    (1, 100, [100, 50, 45, 40, 38, 36, 34, 32, 30], 8),
    (2, 1000, [1000, 200, 100, 70], 3),
)


def test_a_cohort_leaving_the_average_is_no_rise() -> None:
    avg = DROPOUT.average_rates()
    assert avg[3] == pytest.approx(110 / 1100) and avg[4] == pytest.approx(0.38)  # the artefact
    text = brief_text(DROPOUT)
    assert "rises again" not in text  # it read "it rises again in week 4"
    assert "cohort 2025-01 (100 users)" in text and "50.0 % in week 1 to 30.0 % in week 8" in text
    s = ins.shape(DROPOUT)
    assert s is not None and s.rises == ()
    assert s.last_week == 8 and [c.month.month for c in s.cohorts] == [1]
    assert (s.first, s.last) == (0.5, 0.3)  # January's own week 1 and week 8


def test_a_real_rise_of_the_same_cohorts_is_named() -> None:
    # 2,000 users: 400 active in week 3, 520 in week 4 (z = 6.4) -> a rise beyond noise
    m = matrix((1, 2000, [2000, 900, 600, 400, 520, 380, 300, 260, 240], 8))
    assert "it rises again in week 4 (20.0 % \u2192 26.0 %)" in brief_text(m)
    s = ins.shape(m)
    assert s is not None and [r.week for r in s.rises] == [4]


def test_no_trend_from_two_cohorts() -> None:
    # the tester's shop: 49.5 % of 103 and 46.1 % of 152 at week 1 (z = -0.54)
    m = matrix((1, 103, [103, 51, 53, 45, 44, 36], 8), (2, 152, [152, 70, 66, 61], 3))
    assert week1_trend(m) == (
        "Week-1 retention: only 2 complete cohorts (49.5 % for 2025-01, 46.1 % for 2025-02; "
        "the difference is within noise, z = -0.54); a trend needs at least 3."
    )
    text = brief_text(m)
    assert "falling" not in text and "least-squares" not in text
    assert "review onboarding" not in text
    assert "2 complete cohorts are too few to call a week-1 trend (3 needed)" in text
    t = ins.trend(m)
    assert t is not None and t.direction is None and t.z2 == pytest.approx(-0.54, abs=0.01)


def test_a_clear_trend_across_four_cohorts_is_claimed() -> None:
    # week 1: 200, 250, 300, 350 of 1,000 each: +5.0 pp a month; pooled p = 0.275, so each
    # rate's se is 1.41 pp and the slope's sqrt(1.41^2 * 5) / 5 = 0.63 pp: z = 7.9
    m = matrix(*((i + 1, 1000, [1000, 200 + 50 * i], 1) for i in range(4)), weeks=1)
    assert week1_trend(m).startswith("Week-1 retention is rising across 4 cohorts")
    assert "standard error 0.6 pp: beyond noise" in week1_trend(m)
    assert "keep the onboarding changes" in brief_text(m)
    t = ins.trend(m)
    assert t is not None and t.direction == "rising"
    assert t.slope == pytest.approx(5.0) and t.se == pytest.approx(0.6314, abs=1e-3)


def test_the_same_slope_on_small_cohorts_is_no_trend() -> None:
    # the same rates on 20 users each: se 14 pp, z = 0.35 -> no claim and no advice
    m = matrix(*((i + 1, 20, [20, 4 + i], 1) for i in range(4)), weeks=1)
    assert "shows no clear trend across 4 cohorts" in week1_trend(m)
    text = brief_text(m)
    assert "within noise: no clear trend" in text and "onboarding" not in text
    t = ins.trend(m)
    assert t is not None and t.direction == "unclear"


def test_no_campaign_week_from_an_eight_user_difference() -> None:
    # the tester's January cohort: 44 -> 36 of 103 from week 4 to 5 (z = -1.14)
    small = matrix((1, 103, [103, 51, 53, 45, 44, 36, 32, 38], 7), weeks=7)
    text = brief_text(small)
    assert "campaign in week" not in text
    assert "within week 1 after signup" in text and "stands out from noise" in text
    assert ins.campaign_step(small) is None
    # ten times the users: 440 -> 360 of 1,030 (z = -3.6), the steepest loss -> the advice stands
    big = matrix((1, 1030, [1030, 510, 530, 460, 440, 360, 320, 380], 7), weeks=7)
    step = ins.campaign_step(big)
    assert step is not None and step.week == 5
    assert "Send the re-engagement campaign in week 4 after signup" in brief_text(big)


def test_best_and_worst_cohort_advice_only_beyond_noise() -> None:
    # week 4: 25.0 % of 84 against 18.7 % of 182 (z = -1.18) among 3 cohorts -> no advice
    close = matrix(
        (1, 84, [84, 30, 25, 22, 21], 8), (2, 100, [100, 30, 25, 22, 20], 8),
        (3, 182, [182, 60, 45, 40, 34], 8),
    )  # fmt: skip
    text = brief_text(close)
    assert "the gap is within noise, so no cohort stands out" in text
    assert "acquisition channels" not in text
    # 40 % of 1,000 against 20 % of 1,000: far beyond even the raised bar
    apart = matrix(
        (1, 1000, [1000, 500, 450, 420, 400], 8), (2, 1000, [1000, 400, 300, 250, 200], 8),
        (3, 1000, [1000, 450, 350, 320, 300], 8),
    )  # fmt: skip
    text = brief_text(apart)
    assert "Examine the acquisition channels of cohort 2025-02" in text
    assert "within noise" not in text.split("Week 4:")[1].split(".")[0]


def test_a_plateau_is_not_hidden_by_a_cohort_leaving() -> None:
    # January (1,000 users, 8 weeks) is flat from week 3; February (4,000 users, 4 weeks) is
    # lower. The average jumps from 17.9 % (both) at week 4 to 29.8 % (January) at week 5, but
    # every same-cohort change from week 3 on is under 1 pp: 0.1, 0.2, 0.1, 0.1, 0.1 pp.
    m = matrix(
        (1, 1000, [1000, 400, 320, 300, 298, 296, 295, 294, 293], 8),
        (2, 4000, [4000, 1200, 800, 600, 595], 4),
    )
    text = brief_text(m)
    assert "rises again" not in text
    assert "From week 3 on, retention levels off" in text
    s = ins.shape(m)
    assert s is not None and s.plateau == 3 and s.rises == ()
    # and every number of the brief is a cell of the cohort table or of the insight sentences
    import re

    from ducky.report.fmt import pct

    evidence = (
        " ".join(insights(m))
        + " "
        + " ".join(pct(r) for c in m.cohorts for r in c.rates if r is not None)
    )
    evidence += " " + " ".join(f"{c.size:,}" for c in m.cohorts)
    for n in re.findall(r"\d(?:[\d,]*\d)?(?:\.\d+)?", text):
        assert n in evidence, n
