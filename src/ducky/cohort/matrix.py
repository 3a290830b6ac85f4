"""Tidy cohort rows -> the cohort x week matrix people read, with its weighted average row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Cohort:
    month: dt.date
    size: int
    retained: tuple[int, ...]  # per week 0..N, counted even where the cell is incomplete
    rates: tuple[float | None, ...]  # None where the cell is incomplete (never 0 %)

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m} (n={self.size:,})"

    def complete(self, week: int) -> bool:
        return self.rates[week] is not None


@dataclass(frozen=True)
class Average:
    week: int
    rate: float | None  # None when no cohort is complete at this week
    users: int  # sum of the sizes of the cohorts complete at this week (the weights)
    cohorts: int


@dataclass(frozen=True)
class CohortMatrix:
    weeks: int
    cohorts: tuple[Cohort, ...]
    average: tuple[Average, ...]
    empty_months: tuple[dt.date, ...]  # months inside the shown range without any signups

    def rates_grid(self) -> list[list[float | None]]:
        return [list(c.rates) for c in self.cohorts]

    def average_rates(self) -> list[float | None]:
        return [a.rate for a in self.average]

    def average_rows(self) -> list[dict[str, Any]]:
        return [
            {"week": a.week, "rate": a.rate, "users": a.users, "cohorts": a.cohorts}
            for a in self.average
        ]


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def weighted_average(cohorts: tuple[Cohort, ...], weeks: int) -> tuple[Average, ...]:
    """Per week: sum(retained) / sum(cohort_size) over the cohorts COMPLETE at that week.

    That is the cohort-size-weighted mean of the rates; incomplete cells and their cohorts'
    sizes stay out of both sums, so a young cohort never drags the average down."""
    out = []
    for k in range(weeks + 1):
        done = [c for c in cohorts if c.complete(k) and c.size > 0]
        users = sum(c.size for c in done)
        rate = sum(c.retained[k] for c in done) / users if users else None
        out.append(Average(k, rate, users, len(done)))
    return tuple(out)


def build_matrix(tidy: pa.Table) -> CohortMatrix:
    """Pivot tidy rows (every week 0..N present for every cohort) into a CohortMatrix."""
    rows = tidy.to_pylist()
    weeks = max((int(r["week"]) for r in rows), default=-1)
    by_month: dict[dt.date, dict[int, dict[str, Any]]] = {}
    for r in rows:
        by_month.setdefault(r["cohort_month"], {})[int(r["week"])] = r
    cohorts = []
    for month in sorted(by_month):
        cells = by_month[month]
        size = int(next(iter(cells.values()))["cohort_size"])
        cohorts.append(
            Cohort(
                month=month,
                size=size,
                retained=tuple(
                    int(cells[k]["retained"]) if k in cells else 0 for k in range(weeks + 1)
                ),
                rates=tuple(
                    float(cells[k]["rate"])
                    if k in cells and cells[k]["complete"] and cells[k]["rate"] is not None
                    else None
                    for k in range(weeks + 1)
                ),
            )
        )
    months = [c.month for c in cohorts]
    empty = (
        tuple(m for m in _month_range(months[0], months[-1]) if m not in by_month) if months else ()
    )
    ctuple = tuple(cohorts)
    return CohortMatrix(max(weeks, 0), ctuple, weighted_average(ctuple, max(weeks, 0)), empty)
