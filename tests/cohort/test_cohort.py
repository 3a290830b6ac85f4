"""`ducky.cohort`: SQL == Polars == reference, the matrix and its weighted average, filters,
insight sentences and plots, on hand-made data with answers known in advance."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ducky.cohort import compute
from ducky.errors import UserError
from tests import handmade, handmade_cohort, reference
from tests.handmade import write_datadir

D = dt.date
DEC, JAN, FEB, MAR = D(2024, 12, 1), D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)


def _approx_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    users, events = handmade_cohort.users_and_events()
    return write_datadir(tmp_path_factory.mktemp("cohort") / "data", users, [], events)


# -- the two paths against the independent reference ------------------------------------------
@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize(("weeks", "event_type"), [(8, None), (3, None), (8, "purchased")])
def test_tidy_matches_reference(
    handmade_dir: Path, engine: str, weeks: int, event_type: str | None
) -> None:
    got = compute(handmade_dir, engine, weeks=weeks, event_type=event_type).tidy.to_pylist()
    want = reference.cohort(handmade.USERS, handmade.EVENTS, weeks, event_type)
    assert got == _approx_rows(want)


def test_polars_equals_sql_exactly(handmade_dir: Path, cohort_dir: Path) -> None:
    for data in (handmade_dir, cohort_dir):
        sql = compute(data, "duckdb").tidy
        py = compute(data, "polars").tidy
        assert py.schema == sql.schema
        assert py.to_pylist() == _approx_rows(sql.to_pylist())


# -- matrix and weighted average -----------------------------------------------------------
def test_matrix_known_values(handmade_dir: Path) -> None:
    m = compute(handmade_dir).matrix
    assert [(c.month, c.size) for c in m.cohorts] == [(DEC, 3), (JAN, 2), (MAR, 1)]
    dec, jan, mar = m.cohorts
    third = pytest.approx(1 / 3)
    # Year-end cohort, weeks from each user's own signup; user 3 (no events) in the size.
    assert dec.rates == (pytest.approx(2 / 3), pytest.approx(2 / 3), 0.0, third, 0, 0, 0, 0, third)
    # January: user 4's event before signup ignored; weeks 7-8 censored (None, never 0).
    assert jan.rates == (1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, None, None)
    assert jan.retained[8] == 1  # user 5 was seen in week 8, but the cell is incomplete
    # Too-recent cohort: only week 0 observable.
    assert mar.rates == (1.0, *[None] * 8)
    # Empty month: no row, reported instead.
    assert m.empty_months == (FEB,)
    # Weighted average by hand, complete cells only:
    #   w0: (2 + 2 + 1) / (3 + 2 + 1); w1..w6: Dec and Jan, (r_dec + r_jan) / 5; w7, w8: Dec only.
    assert m.average_rates() == [
        pytest.approx(5 / 6),
        pytest.approx((2 + 0) / 5),
        pytest.approx((0 + 1) / 5),
        pytest.approx((1 + 0) / 5),
        0.0,
        0.0,
        0.0,
        0.0,
        pytest.approx(1 / 3),
    ]
    assert [a.users for a in m.average] == [6, 5, 5, 5, 5, 5, 5, 3, 3]


def test_weighted_average_ignores_censored_cells(cohort_dir: Path) -> None:
    m = compute(cohort_dir).matrix
    may = m.cohorts[-1]
    assert may.month == D(2025, 5, 1) and may.size == 4
    assert [may.complete(k) for k in range(9)] == [True] * 6 + [False] * 3
    assert may.retained[6] == 1 and may.rates[6] is None
    avg = m.average_rates()
    # weeks 0..5: all 49 users; weeks 6..8: January..April, 45 users (May left out).
    assert avg[0] == 1.0
    assert avg[1] == pytest.approx((2 + 6 + 4 + 3 + 2) / 49)
    assert avg[3] == pytest.approx((1 + 3 + 3 + 2 + 1) / 49)
    assert avg[6] == pytest.approx((1 + 2 + 2 + 1) / 45)
    assert avg[8] == pytest.approx((0 + 2 + 1 + 1) / 45)
    # A plain mean of the rates would differ: the weighting is real.
    plain_w1 = sum(c.rates[1] or 0 for c in m.cohorts) / len(m.cohorts)
    assert avg[1] != pytest.approx(plain_w1)


# -- options -------------------------------------------------------------------------------
def test_event_filter_purchase_only(handmade_dir: Path) -> None:
    m = compute(handmade_dir, event_type="purchased").matrix
    assert m.cohorts[0].retained == (1, 1, 0, 1, 0, 0, 0, 0, 0)
    # Censoring still follows the last data date of ALL events (2025-03-10), not of purchases.
    assert m.cohorts[1].rates[6] == 0.0 and m.cohorts[1].rates[7] is None


def test_weeks_option(handmade_dir: Path) -> None:
    r = compute(handmade_dir, "polars", weeks=2)
    assert r.matrix.weeks == 2 and {row["week"] for row in r.tidy.to_pylist()} == {0, 1, 2}
    assert len(r.matrix.average) == 3


def test_from_to_filters_cohorts_without_moving_censoring(handmade_dir: Path) -> None:
    r = compute(handmade_dir, date_from="2025-01", date_to="2025-01")
    assert [c.month for c in r.matrix.cohorts] == [JAN]
    assert r.matrix.cohorts[0].rates[6] == 0.0 and r.matrix.cohorts[0].rates[7] is None
    assert r.matrix.average_rates()[2] == 0.5  # the average follows the shown cohorts
    r = compute(handmade_dir, date_from="2025-01")
    assert [c.month for c in r.matrix.cohorts] == [JAN, MAR]
    assert r.matrix.empty_months == (FEB,)
    r = compute(handmade_dir, date_to="2024-12")
    assert [c.month for c in r.matrix.cohorts] == [DEC] and r.matrix.empty_months == ()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date_from": "2025-13"}, "--from: '2025-13' is not a month"),
        ({"date_to": "Jan 2025"}, "--to: 'Jan 2025' is not a month"),
        ({"date_from": "2025-03", "date_to": "2025-01"}, "--from 2025-03 is after --to 2025-01"),
        ({"date_from": "2026-01"}, "no cohorts in the chosen month range"),
        ({"event_type": "clicked"}, "no event named 'clicked' in the data"),
        ({"weeks": 99}, "--weeks: 99 is out of range"),
    ],
)
def test_bad_options_are_user_errors(
    handmade_dir: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        compute(handmade_dir, **kwargs)


# -- insights ------------------------------------------------------------------------------
def test_insights_on_a_dataset_with_known_answers(cohort_dir: Path) -> None:
    from ducky.cohort.insights import NOISE_RULE

    best_worst, trend, drop, *rest = compute(cohort_dir).insights
    # Week 4: Jan 1/10, Feb 4/20, Mar 3/10, Apr 2/5, May 1/4 (all complete at week 4).
    # 2/5 against 1/10: pooled p = 3/15, z = -0.3 / sqrt(0.16 * 0.3) = -1.37, under the bar
    # for the 10 pairs of 5 cohorts (Bonferroni: 2.81).
    assert best_worst == (
        "Week 4: the best cohort is 2025-04 (40.0 % of 5), the worst is 2025-01 "
        "(10.0 % of 10), among 5 complete cohorts; the gap is within noise, z = -1.37 "
        "(bar 2.81 for the 10 pairs of 5 cohorts)."
    )
    # Week 1: 20, 30, 40, 60, 50 % at months 0..4; least-squares slope = 90 / 10 = +9 pp, but
    # with cohorts of 4 to 20 users its binomial standard error is 6.1 pp: no trend claimed.
    assert trend == (
        "Week-1 retention shows no clear trend across 5 cohorts: 20.0 % for 2025-01 to 50.0 % "
        "for 2025-05 (+9.0 pp per month, least-squares; standard error 6.1 pp: within noise)."
    )
    # Same-cohort weighted drops: w0->1 (49-17)/49 = 65.3 pp; among return weeks the steepest
    # is w2->3: 14/49 -> 10/49 (8.2 pp, z = -0.94), ahead of w1->2 (6.1 pp) and w5->6 over 45
    # users (4.4): none beyond noise.
    assert drop == (
        "The biggest drop-off is week 0 → 1: 100.0 % → 34.7 % (65.3 pp, weighted over the "
        "cohorts complete at week 1); among the return weeks the steepest is week 2 → 3: "
        "28.6 % → 20.4 % (8.2 pp, 49 users; within noise, z = -0.94); no return-week loss is "
        "beyond noise."
    )
    # The curve over the 4 cohorts complete at week 8 (May is not): 15/45 -> 4/45.
    assert rest == [
        "No plateau yet: over the 4 cohorts observed that long (45 users), retention falls "
        "from 33.3 % in week 1 to 8.9 % in week 8 (beyond noise, z = -2.84).",
        NOISE_RULE,
    ]


def test_insights_mention_empty_months_and_no_trend_from_two_cohorts(handmade_dir: Path) -> None:
    lines = compute(handmade_dir).insights
    assert lines[0] == "Week 4: all 2 complete cohorts retain the same 0.0 %."
    # two cohorts always make a line: no trend from them (it read "falling across 2 cohorts")
    assert lines[1].startswith("Week-1 retention: only 2 complete cohorts")
    assert lines[1].endswith("a trend needs at least 3.")
    assert lines[-2] == "No signups in 2025-02: such months have no cohort row."
    assert lines[-1].startswith("Noise rule: ")


# -- other engines ---------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.parametrize("event_type", [None, "purchased"])
def test_polars_equals_sql_on_postgres(
    pg_dsn: str, handmade_dir: Path, cohort_dir: Path, event_type: str | None
) -> None:
    for data in (handmade_dir, cohort_dir):
        pg = compute(data, "postgres", event_type=event_type, engine_options={"dsn": pg_dsn})
        py = compute(data, "polars", event_type=event_type)
        assert pg.tidy.schema == py.tidy.schema
        assert pg.tidy.to_pylist() == _approx_rows(py.tidy.to_pylist())
        assert pg.insights == py.insights


def test_polars_equals_sql_on_generated_data(generated_dir: Path) -> None:
    import pyarrow.parquet as pq

    results = {}
    for event_type in (None, "purchased"):
        sql = compute(generated_dir, "duckdb", event_type=event_type)
        py = compute(generated_dir, "polars", event_type=event_type)
        assert py.tidy.to_pylist() == _approx_rows(sql.tidy.to_pylist())
        assert py.insights == sql.insights
        results[event_type] = sql
    # ... and the pure-Python reference agrees on the same rows.
    users = pq.read_table(generated_dir / "users.parquet", columns=["user_id", "signup_date"])
    events = pq.ParquetDataset(
        sorted(str(p) for p in (generated_dir / "events").glob("month=*/*.parquet"))
    ).read(columns=["user_id", "event_type", "timestamp"])
    want = reference.cohort(users.to_pylist(), events.to_pylist())
    assert results[None].tidy.to_pylist() == _approx_rows(want)
    assert sum(c.size for c in results[None].matrix.cohorts) == users.num_rows
