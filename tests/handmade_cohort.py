"""A cohort dataset built so the retention matrix, its weighted average and the insight
sentences have answers known in advance.

Five monthly cohorts; user i of a cohort is "retained" in week k when i < RETAINED[month][k],
and then has one `login` on day 7k + 1 after signup (week 0: the signup day itself). The last
event is May's week-6 login on 2025-07-01, which fixes the last data date: every cohort is
complete through week 8 except May (signups on 2025-05-20), which is complete through week 5
only (2025-05-20 + 7*6 - 1 = 2025-06-30 <= 2025-07-01 < 2025-05-20 + 7*7 - 1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

D = dt.date

# month -> (signup date of every user in the cohort, retained count for weeks 0..8)
COHORTS: dict[dt.date, tuple[dt.date, list[int]]] = {
    D(2025, 1, 1): (D(2025, 1, 1), [10, 2, 2, 1, 1, 1, 1, 0, 0]),
    D(2025, 2, 1): (D(2025, 2, 1), [20, 6, 5, 3, 4, 3, 2, 2, 2]),
    D(2025, 3, 1): (D(2025, 3, 1), [10, 4, 3, 3, 3, 2, 2, 2, 1]),
    D(2025, 4, 1): (D(2025, 4, 1), [5, 3, 2, 2, 2, 2, 1, 1, 1]),
    # weeks 6.. are censored for May; its week-6 login is still counted in `retained`
    D(2025, 5, 1): (D(2025, 5, 20), [4, 2, 2, 1, 1, 1, 1, 0, 0]),
}
SIZES = {m: counts[0] for m, (_, counts) in COHORTS.items()}
LAST_DAY = D(2025, 7, 1)


def users_and_events() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    users: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    uid = 0
    for signup, counts in COHORTS.values():
        for i in range(counts[0]):
            uid += 1
            users.append({"user_id": uid, "signup_date": signup})
            for k, retained in enumerate(counts):
                if i < retained:
                    day = signup + dt.timedelta(days=0 if k == 0 else 7 * k + 1)
                    if k == 6 and signup == D(2025, 5, 20):
                        day = signup + dt.timedelta(days=42)  # exactly LAST_DAY
                    ts = dt.datetime.combine(day, dt.time(12, 0))
                    events.append(
                        {"user_id": uid, "event_type": "login", "product_id": None, "timestamp": ts}
                    )
    assert max(e["timestamp"] for e in events).date() == LAST_DAY
    return users, events
