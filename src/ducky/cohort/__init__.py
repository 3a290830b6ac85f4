"""Cohort retention (METRICS.md): the tidy table from any engine or from Polars, the matrix,
its weighted average, the insight sentences, and the plots.

    from ducky.cohort import compute
    result = compute("data", engine="duckdb", weeks=8, event_type="purchased",
                     date_from="2025-01", date_to="2025-06")
    result.matrix.average_rates(); result.insights
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ducky.errors import UserError

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.cohort.matrix import CohortMatrix
    from ducky.datasets import DataDir

POLARS = "polars"  # the engine name of the independent Python path
MAX_WEEKS = 52
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str | None, option: str) -> dt.date | None:
    """'YYYY-MM' -> the first day of that month; anything else is a one-line UserError."""
    if value is None:
        return None
    m = _MONTH.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise UserError(f"{option}: {value!r} is not a month (expected YYYY-MM, e.g. 2025-01)")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


@dataclass
class CohortResult:
    tidy: pa.Table  # cohort_month, cohort_size, week, retained, rate, complete
    matrix: CohortMatrix
    insights: list[str]
    definition: str
    engine: str
    weeks: int
    event_type: str | None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def subtitle(self) -> str:
        what = f"returns = '{self.event_type}' events" if self.event_type else "returns = any event"
        span = ""
        if self.matrix.cohorts:
            span = (
                f"; cohorts {self.matrix.cohorts[0].month:%Y-%m}.."
                f"{self.matrix.cohorts[-1].month:%Y-%m}"
            )
        return f"[{what}; engine {self.engine}{span}]"

    def to_json(self) -> dict[str, Any]:
        from ducky.tabular import rows_of

        return {
            "query": "cohort",
            "engine": self.engine,
            "parameters": self.parameters,
            "definition": self.definition,
            "columns": self.tidy.column_names,
            "rows": rows_of(self.tidy),
            "average": self.matrix.average_rows(),
            "empty_months": [f"{m:%Y-%m}" for m in self.matrix.empty_months],
            "insights": self.insights,
        }


def tidy_table(
    datadir: DataDir,
    engine: str = "duckdb",
    weeks: int = 8,
    event_type: str | None = None,
    engine_options: dict[str, Any] | None = None,
) -> pa.Table:
    """All cohorts' tidy rows from the canonical SQL on `engine`, or from the Polars path."""
    from ducky.cohort.result import normalize_tidy

    if engine == POLARS:
        from ducky.cohort.polars_path import compute_tidy

        return compute_tidy(datadir, weeks, event_type)
    from ducky.queries import run_query

    table = run_query(
        datadir,
        "cohort",
        engine,
        engine_options=engine_options,
        weeks=weeks,
        event_type=event_type,
    )
    return normalize_tidy(table)


def filter_months(tidy: pa.Table, date_from: dt.date | None, date_to: dt.date | None) -> pa.Table:
    """Keep cohorts whose month lies in [date_from, date_to] (both inclusive, whole months).

    Filtering happens after the computation on purpose: censoring depends on the last date of
    the whole dataset, which must not move because fewer cohorts are shown."""
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pa.array([True] * tidy.num_rows, pa.bool_())
    month = tidy.column("cohort_month")
    if date_from is not None:
        mask = pc.and_(mask, pc.greater_equal(month, pa.scalar(date_from, pa.date32())))
    if date_to is not None:
        mask = pc.and_(mask, pc.less_equal(month, pa.scalar(date_to, pa.date32())))
    return tidy.filter(mask)


def compute(
    datadir: DataDir | str | os.PathLike[str],
    engine: str = "duckdb",
    weeks: int = 8,
    event_type: str | None = None,
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    engine_options: dict[str, Any] | None = None,
) -> CohortResult:
    """Compute cohort retention on `engine` ('polars' for the Python path) and describe it."""
    from ducky.cohort.insights import insights
    from ducky.cohort.matrix import build_matrix
    from ducky.datasets import DataDir
    from ducky.metrics import definition
    from ducky.queries import check_event_type

    if not isinstance(datadir, DataDir):
        datadir = DataDir(datadir)
    if not 0 <= weeks <= MAX_WEEKS:
        raise UserError(f"--weeks: {weeks} is out of range (0..{MAX_WEEKS})")
    event_type = check_event_type(event_type)
    start = date_from if isinstance(date_from, dt.date) else parse_month(date_from, "--from")
    end = date_to if isinstance(date_to, dt.date) else parse_month(date_to, "--to")
    if start is not None and end is not None and start > end:
        raise UserError(f"--from {start:%Y-%m} is after --to {end:%Y-%m}")

    everything = tidy_table(datadir, engine, weeks, event_type, engine_options)
    tidy = filter_months(everything, start, end)
    if tidy.num_rows == 0:
        if everything.num_rows == 0:
            raise UserError(f"{datadir.path}: no users, so no cohorts")
        months = sorted(set(everything.column("cohort_month").to_pylist()))
        raise UserError(
            f"no cohorts in the chosen month range: the data has cohorts "
            f"{months[0]:%Y-%m}..{months[-1]:%Y-%m}"
        )
    matrix = build_matrix(tidy)
    return CohortResult(
        tidy=tidy,
        matrix=matrix,
        insights=insights(matrix),
        definition=definition("cohort") + _derived_users_note(datadir),
        engine=engine,
        weeks=weeks,
        event_type=event_type,
        date_from=start,
        date_to=end,
        parameters={
            "weeks": weeks,
            "event_type": event_type,
            "from": f"{start:%Y-%m}" if start else None,
            "to": f"{end:%Y-%m}" if end else None,
        },
    )


def _derived_users_note(datadir: Any) -> str:
    """The footer's caveat when the users table was derived from events (no users table)."""
    from ducky.metrics import data_notes

    return data_notes(datadir, "cohort")
