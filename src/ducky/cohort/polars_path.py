"""Cohort retention computed with Polars straight from the Parquet files.

An independent implementation of METRICS.md "Cohort retention", written from the definition
rather than from the SQL: it exists so the tests can hold the canonical SQL (on every engine)
against a second computation that shares none of its text.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ducky.errors import UserError

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir


def compute_tidy(datadir: DataDir, weeks: int = 8, event_type: str | None = None) -> pa.Table:
    """The tidy cohort table (cohort_month, cohort_size, week, retained, rate, complete)."""
    import polars as pl

    from ducky.cohort.result import normalize_tidy

    datadir.validate(("events", "users"))
    users = pl.read_parquet(datadir.table_files("users"), columns=["user_id", "signup_date"])
    # A file list (not the directory) with hive partitioning off: only the columns we name.
    events = pl.scan_parquet(
        [str(p) for p in datadir.table_files("events")], hive_partitioning=False
    ).select("user_id", "event_type", "timestamp")

    # The last data date comes from every event, whatever --event filters: censoring is about
    # how long the dataset observed the users, not about which events count as a return.
    last_day: dt.date | None = events.select(pl.col("timestamp").max().dt.date()).collect().item()

    members = users.with_columns(cohort_month=pl.col("signup_date").dt.month_start())
    cohorts = members.group_by("cohort_month").agg(
        cohort_size=pl.len(), newest_signup=pl.col("signup_date").max()
    )

    returns = events
    from ducky.sql.events import is_custom_event, missing_event_message

    if is_custom_event(event_type):  # a shop's own name: a typo is an error, not zero returns
        assert event_type is not None
        if events.filter(pl.col("event_type") == event_type).head(1).collect().height == 0:
            counts = events.group_by("event_type").agg(n=pl.len()).collect().rows()
            present = dict(sorted(((k, n) for k, n in counts if k is not None),
                                  key=lambda kn: (-kn[1], kn[0])))  # fmt: skip
            raise UserError(missing_event_message(event_type, present))
    if event_type is not None:
        returns = returns.filter(pl.col("event_type") == event_type)
    activity = (
        returns.select("user_id", day=pl.col("timestamp").dt.date())
        .join(members.lazy(), on="user_id", how="inner")
        .with_columns(days_since_signup=(pl.col("day") - pl.col("signup_date")).dt.total_days())
        # Events before signup do not count; week k covers days 7k .. 7k+6 after signup.
        .filter(pl.col("days_since_signup") >= 0)
        .with_columns(week=pl.col("days_since_signup") // 7)
        .filter(pl.col("week") <= weeks)
        .select("cohort_month", "week", "user_id")
        .unique()
        .group_by("cohort_month", "week")
        .agg(retained=pl.len())
        .collect()
    )

    grid = cohorts.join(pl.DataFrame({"week": list(range(weeks + 1))}), how="cross")
    # Complete when even the cohort's newest user was observed through the last day of week k.
    last_needed = pl.col("newest_signup") + pl.duration(days=7 * (pl.col("week") + 1) - 1)
    complete = (
        last_needed <= pl.lit(last_day, dtype=pl.Date)
        if last_day is not None
        else pl.lit(False)  # no events at all: nothing was observed
    )
    table = (
        grid.join(
            activity.with_columns(pl.col("week").cast(pl.Int64)),
            on=["cohort_month", "week"],
            how="left",
        )
        .with_columns(
            pl.col("week").cast(pl.Int64),
            retained=pl.col("retained").fill_null(0).cast(pl.Int64),
            complete=complete,
        )
        .with_columns(
            rate=pl.when(pl.col("complete")).then(pl.col("retained") / pl.col("cohort_size"))
        )
        .select("cohort_month", "cohort_size", "week", "retained", "rate", "complete")
        .sort("cohort_month", "week")
    )
    return normalize_tidy(table.to_arrow())
