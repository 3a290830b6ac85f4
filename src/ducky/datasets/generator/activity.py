"""How often users come back: sessions per user per month, and the calibration that makes the
total number of events land on the requested figure.

A user's session rate is their activity level (heavy-tailed) x a decay with days since signup
(fresh users are keener) x the calendar's weekly/daily/holiday rhythm, between their signup
day and their churn day. Counts are Poisson, so the expected total is known in advance and one
scale factor, computed before any event is drawn, hits the requested event count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ducky.datasets.generator.seasonality import Calendar
from ducky.datasets.generator.users import Users

DECAY_FLOOR = 0.3  # long-time users keep 30 % of their first-weeks enthusiasm
DECAY_DAYS = 30.0


@dataclass(frozen=True)
class Windows:
    """Users who can have sessions in a month, and their active window [day_from, day_to)."""

    user: np.ndarray
    day_from: np.ndarray
    day_to: np.ndarray
    expected: np.ndarray  # expected regular sessions before calibration


def month_windows(users: Users, cal: Calendar, d0: int, d1: int) -> Windows:
    alive = (users.signup_day < d1) & (users.churn_day > d0)
    idx = np.flatnonzero(alive)
    a = np.maximum(users.signup_day[idx], d0)
    b = np.minimum(users.churn_day[idx], d1)
    age_mid = (a + b) / 2.0 - users.signup_day[idx]
    decay = DECAY_FLOOR + (1.0 - DECAY_FLOOR) * np.exp(-age_mid / DECAY_DAYS)
    expected = users.activity[idx] / 7.0 * cal.mass(a, b) * decay
    return Windows(idx, a, b, expected)


def calibrate(
    users: Users,
    cal: Calendar,
    months: list[tuple[str, int, int]],
    target_events: int,
    first_session_events: np.ndarray,
    session_events: np.ndarray,
) -> float:
    """Scale factor k for the regular-session rate so that the expected events = target.

    `first_session_events[u]` and `session_events[u]` are user u's expected events in their
    signup session and in each later session. Returns 0.0 if the signup sessions alone already
    reach the target (then users have no later sessions).
    """
    fixed = float(first_session_events.sum())
    per_unit = 0.0
    for _, d0, d1 in months:
        w = month_windows(users, cal, d0, d1)
        per_unit += float((w.expected * session_events[w.user]).sum())
    remaining = target_events - fixed
    if remaining <= 0 or per_unit <= 0:
        return 0.0
    return remaining / per_unit
