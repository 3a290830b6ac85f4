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


# -- orders (opt-in: `ducky gen --orders`) -------------------------------------------------------
# A checkout buys every item the session kept in its cart; a basket holds at most 4 lines, a
# bigger checkout is split into several orders (as shops split shipments). Quantities and
# discounts are drawn from a stream of their own, so the events themselves do not change.
MAX_BASKET = 4
QUANTITY = np.array([1, 2, 3])
QUANTITY_P = np.array([0.80, 0.15, 0.05])
DISCOUNT_SHARE = 0.15  # share of orders with a discount, the same percentage on every line
DISCOUNTS = np.array([10, 20])  # percent
SECOND_CURRENCY_SHARE = 0.2  # users whose index % 5 == 4 pay in the second currency
# Fixed exchange rate for generated amounts in the second currency, in 1/10,000: the data
# needs a stable, known rate (revenue is never summed across currencies anyway).
SECOND_CURRENCY_RATE = 9_200


@dataclass(frozen=True)
class Orders:
    """Order columns for a run of purchase events (NumPy arrays, one value per purchase)."""

    order_no: np.ndarray  # 0-based order number within the chunk
    quantity: np.ndarray  # int64 >= 1
    amount_cents: np.ndarray  # int64, price x quantity - discount, in the row's currency
    second: np.ndarray  # bool: paid in the second currency


def orders(
    rng: np.random.Generator,
    user: np.ndarray,
    time: np.ndarray,
    price_cents: np.ndarray,
    second_currency: bool,
) -> Orders:
    """Group purchases (same user, same checkout time) into orders of at most MAX_BASKET lines.

    `user`, `time` and `price_cents` are per purchase, in the order they will be written; the
    result follows that order. Amounts are integer cents so that they add up exactly.
    """
    n = len(user)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return Orders(z, z, z, np.zeros(0, dtype=bool))
    by = np.lexsort((time, user))  # a checkout's lines become neighbours
    u, t = user[by], time[by]
    new_checkout = np.ones(n, dtype=bool)
    new_checkout[1:] = (u[1:] != u[:-1]) | (t[1:] != t[:-1])
    checkout = np.cumsum(new_checkout) - 1
    start = np.flatnonzero(new_checkout)
    line = np.arange(n) - start[checkout]  # position inside its checkout
    new_order = new_checkout | (line % MAX_BASKET == 0)
    order_sorted = np.cumsum(new_order) - 1
    n_orders = int(order_sorted[-1]) + 1

    quantity_sorted = rng.choice(QUANTITY, size=n, p=QUANTITY_P).astype(np.int64)
    discounted = rng.random(n_orders) < DISCOUNT_SHARE
    pct = np.where(discounted, rng.choice(DISCOUNTS, size=n_orders), 0)[order_sorted]
    # cents x quantity x (100 - pct) / 100, rounded half up, in integers
    gross = price_cents[by] * quantity_sorted * (100 - pct)
    second = np.zeros(n, dtype=bool)
    if second_currency:
        second = (u % round(1 / SECOND_CURRENCY_SHARE)) == round(1 / SECOND_CURRENCY_SHARE) - 1
    amount_sorted = np.where(
        second,
        (gross * SECOND_CURRENCY_RATE + 500_000) // 1_000_000,
        (gross + 50) // 100,
    )
    inv = np.empty(n, dtype=np.int64)
    inv[by] = np.arange(n)
    return Orders(
        order_no=order_sorted[inv],
        quantity=quantity_sorted[inv],
        amount_cents=amount_sorted[inv],
        second=second[inv],
    )
