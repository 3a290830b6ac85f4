"""Metric definitions printed next to every result (the contract in METRICS.md)."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "wau": (
        "Weekly active users: distinct user_id with at least one event (of any type, or of the "
        "chosen type) in each ISO week starting Monday 00:00 UTC. complete = the whole week "
        "lies inside the data range [first event date, last event date]."
    ),
    "revenue": (
        "Revenue per category: SUM(products.price) over 'purchased' events; purchases = count "
        "of those events; buyers = distinct purchasing users; ordered by revenue desc, "
        "category. Optional [from, to) date range, UTC."
    ),
    "cohort": (
        "Cohort retention: cohort = month of signup_date; week k of a user = "
        "floor((event date - signup_date) / 7), events before signup ignored; retained = "
        "distinct cohort users with an event in week k; rate = retained / cohort_size. A cell "
        "is complete only if max(signup_date in cohort) + 7(k+1) - 1 <= last data date; "
        "incomplete cells have no rate (never 0 %)."
    ),
}


def definition(query: str) -> str:
    return DEFINITIONS.get(query, "")
