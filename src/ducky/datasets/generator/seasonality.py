"""When things happen: weekly and daily rhythm, the holiday peak, and month windows.

All time is measured from the period start. A period of D days has 24*D hourly weights; the
cumulative sum of those weights (in "average days") turns a window of days into an expected
amount of activity and, by inverse CDF, turns uniform numbers into session start hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

US_PER_HOUR = 3_600_000_000
US_PER_DAY = 24 * US_PER_HOUR

# Monday .. Sunday: shopping peaks on the weekend.
WEEKDAY_FACTOR = np.array([1.00, 0.96, 0.95, 0.97, 1.02, 1.12, 1.18])

# Hour of day (UTC): quiet at night, a lunch bump, an evening peak.
HOURLY_SHAPE = np.array(
    [
        *(0.35, 0.25, 0.18, 0.15, 0.15, 0.2, 0.35, 0.6, 0.85, 1.0, 1.1, 1.2),
        *(1.3, 1.25, 1.15, 1.1, 1.15, 1.3, 1.55, 1.75, 1.8, 1.6, 1.15, 0.7),
    ]
)
HOURLY_SHAPE = HOURLY_SHAPE / HOURLY_SHAPE.mean()


def black_friday(year: int) -> dt.date:
    """The day after the fourth Thursday of November (US Thanksgiving)."""
    first = dt.date(year, 11, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(days=22)


def holiday_factor(day: dt.date) -> float:
    """Multiplier for shopping activity on `day`: Black Friday week, Cyber Monday, December."""
    bf = black_friday(day.year)
    special = {
        bf: 2.4,
        bf + dt.timedelta(days=1): 1.7,
        bf + dt.timedelta(days=2): 1.6,
        bf + dt.timedelta(days=3): 2.1,  # Cyber Monday
        dt.date(day.year, 12, 24): 0.8,
        dt.date(day.year, 12, 25): 0.6,
        dt.date(day.year, 12, 26): 1.3,
        dt.date(day.year, 1, 1): 0.7,
    }
    if day in special:
        return special[day]
    if bf - dt.timedelta(days=7) <= day < bf:
        return 1.25
    if dt.date(day.year, 12, 1) <= day <= dt.date(day.year, 12, 22):
        return 1.35
    return 1.0


@dataclass(frozen=True)
class Calendar:
    """Day-level and hour-level activity weights over [start, start + days)."""

    start: dt.date
    days: int
    day_factor: np.ndarray  # (days,) weekday x holiday
    hour_cum: np.ndarray  # (24*days + 1,) cumulative hourly weight, in average days

    @classmethod
    def build(cls, start: dt.date, days: int) -> Calendar:
        dates = [start + dt.timedelta(days=i) for i in range(days)]
        factor = np.array([WEEKDAY_FACTOR[d.weekday()] * holiday_factor(d) for d in dates])
        hourly = (factor[:, None] * HOURLY_SHAPE[None, :] / 24.0).ravel()
        cum = np.concatenate([[0.0], np.cumsum(hourly)])
        return cls(start=start, days=days, day_factor=factor, hour_cum=cum)

    def mass(self, day_from: np.ndarray, day_to: np.ndarray) -> np.ndarray:
        """Expected activity (in average days) in the day windows [day_from, day_to)."""
        return self.hour_cum[day_to * 24] - self.hour_cum[day_from * 24]

    def sample_times(
        self, rng: np.random.Generator, day_from: np.ndarray, day_to: np.ndarray
    ) -> np.ndarray:
        """One timestamp (µs since the period start) per window, following the hourly weights."""
        lo = self.hour_cum[day_from * 24]
        hi = self.hour_cum[day_to * 24]
        u = lo + (hi - lo) * rng.random(len(lo))
        hour = np.searchsorted(self.hour_cum, u, side="right") - 1
        # Guard the float edge: stay inside the window's hours.
        hour = np.clip(hour, day_from * 24, day_to * 24 - 1)
        return hour.astype(np.int64) * US_PER_HOUR + rng.integers(0, US_PER_HOUR, len(lo))


def month_windows(start: dt.date, end: dt.date) -> list[tuple[str, int, int]]:
    """Calendar-month slices of [start, end) as (YYYY-MM, first day, day after) in day offsets."""
    out = []
    cur = start
    while cur < end:
        nxt = dt.date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        stop = min(nxt, end)
        out.append((f"{cur.year:04d}-{cur.month:02d}", (cur - start).days, (stop - start).days))
        cur = stop
    return out
