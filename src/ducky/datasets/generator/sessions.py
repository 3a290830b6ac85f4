"""What happens in a session: login, searches and their clicks, browsing, carts, checkout.

A session is laid out as an ordered list of steps — optional login, then each search followed
by the views of the products clicked in its results, then browsing views — with exponential
gaps between steps. Each viewed product may be added to the cart a little later, and each
carted product may be bought at checkout, after everything else in the session. So a purchase
always follows an add-to-cart, which always follows a view, of the same product by the same
user. Sessions that would run past the end of the month are moved earlier to end inside it.

Everything is vectorized over all sessions of a chunk: ragged per-session lists are handled
with repeat/cumsum offsets instead of Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ducky.datasets.generator.catalog import Catalog
from ducky.datasets.generator.personas import GENERIC_SHARE, OWN_SHARE, PERSONA_SPECS, PERSONAS
from ducky.datasets.generator.searches import QueryPools
from ducky.datasets.generator.users import Users

# Event type codes, in schema.EVENT_TYPES order.
VIEWED, ADD_TO_CART, PURCHASED, LOGIN = 0, 1, 2, 3
_SEARCH = 4  # a step that is a search, not an event

P_LOGIN = 0.55  # later sessions start with an explicit login (the rest are remembered)
FIRST_SEARCH_BURST = 5  # new users explore: at least this many searches on signup day
CLICK_COUNTS = np.array([0, 1, 2, 3])
CLICK_P = np.array([0.25, 0.40, 0.22, 0.13])
BROWSE_N, BROWSE_P = 1.2, 0.4  # negative binomial: mean 1.8 extra views, long tail
MAX_BROWSE = 60
SEARCH_CLICK_CART_BOOST = 1.5  # a product found by searching is carted more often
BUY_RATE = 0.35  # per carted product: ~65 % cart abandonment
CHEAP_CLICK_EXPONENT = 2.5  # u ** 2.5 over price-sorted results favours the cheap end

US = 1_000_000
STEP_GAP_MEAN, STEP_GAP_MIN, STEP_GAP_MAX = 40 * US, 1 * US, 600 * US
CART_GAP_MEAN, CHECKOUT_GAP_MEAN = 20 * US, 60 * US

BUDGET = PERSONAS.index("budget_conscious")


def expected_views_per_search() -> float:
    return float((CLICK_COUNTS * CLICK_P).sum())


def expected_session_events(users: Users, first: bool) -> np.ndarray:
    """Expected events per session for each user (used to calibrate the volume)."""
    rate = np.array([p.searches_per_session for p in PERSONA_SPECS])[users.persona]
    if first:
        searches = (FIRST_SEARCH_BURST + 1.0) * users.searcher
        login = 1.0
    else:
        searches = rate * users.searcher
        login = P_LOGIN
    clicks = searches * expected_views_per_search()
    browse = 1.0 + BROWSE_N * (1 - BROWSE_P) / BROWSE_P
    cart_rate = np.array([p.cart_rate for p in PERSONA_SPECS])[users.persona]
    carts = cart_rate * (browse + SEARCH_CLICK_CART_BOOST * clicks)
    return login + clicks + browse + carts * (1.0 + BUY_RATE)


@dataclass
class Chunk:
    """Events and searches of a batch of sessions (user and product as 0-based indexes)."""

    ev_user: np.ndarray
    ev_type: np.ndarray  # int8 code
    ev_product: np.ndarray  # -1 for login
    ev_time: np.ndarray  # µs since the period start
    q_user: np.ndarray
    q_query: np.ndarray  # index into QueryPools.vocab
    q_time: np.ndarray
    q_clicks: np.ndarray  # number of clicked products per search
    click_product: np.ndarray  # clicked products, search after search


@dataclass(frozen=True)
class World:
    """Everything sessions sample from, built once per dataset."""

    users: Users
    catalog: Catalog
    pools: QueryPools
    browse_table: np.ndarray  # personas.browse_tables: (persona, quantile bin) -> product
    search_rate: np.ndarray  # per persona
    cart_rate: np.ndarray  # per persona

    def browse(self, rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
        """A browsed product per persona: one gather from the persona's quantile table."""
        bins = self.browse_table.shape[1]
        return self.browse_table[persona, rng.integers(0, bins, len(persona))]

    def clicks(
        self, rng: np.random.Generator, query: np.ndarray, persona: np.ndarray
    ) -> np.ndarray:
        """A clicked product for each (query, persona): one of the products the query names."""
        item = self.pools.item[query]
        count = np.where(item >= 0, self.catalog.item_count[np.maximum(item, 0)], 0)
        named = count > 0
        u = rng.random(len(query))
        cheap = self.pools.cheap[query] | (persona == BUDGET)
        u = np.where(cheap, u**CHEAP_CLICK_EXPONENT, u)
        start = self.catalog.item_start[np.maximum(item, 0)]
        by_item = start + np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
        # Generic queries ("gift ideas") and things the shop does not carry ("cordless drill")
        # lead to whatever the user likes to browse anyway.
        return np.where(named, by_item, self.browse(rng, persona))


def _excl_cumsum(x: np.ndarray) -> np.ndarray:
    c = np.cumsum(x)
    return c - x


def run_sessions(
    world: World,
    rng: np.random.Generator,
    sess_user: np.ndarray,
    sess_start: np.ndarray,
    sess_first: np.ndarray,
    month_end: int,
) -> Chunk:
    """Expand sessions (user index, start µs, is-signup-session) into events and searches."""
    users = world.users
    n = len(sess_user)
    persona = users.persona[sess_user]
    searcher = users.searcher[sess_user]

    login = sess_first | (rng.random(n) < P_LOGIN)
    n_search = np.where(
        sess_first,
        FIRST_SEARCH_BURST + rng.poisson(1.0, n),
        rng.poisson(world.search_rate[persona]),
    )
    n_search = np.where(searcher, n_search, 0).astype(np.int64)
    n_browse = np.minimum(1 + rng.negative_binomial(BROWSE_N, BROWSE_P, n), MAX_BROWSE)

    # -- searches and their clicks ------------------------------------------------------------
    s_total = int(n_search.sum())
    q_sess = np.repeat(np.arange(n), n_search)
    q_persona = persona[q_sess]
    src = rng.random(s_total)
    # The same draws pick the pool whatever the vocabulary: a mixed user's own searches split
    # between the two interests (pool2 == pool1 for everyone else).
    us = users.search
    assert us is not None
    q_user = sess_user[q_sess]
    pool = np.where(
        src < OWN_SHARE / 2,
        us.pool1[q_user],
        np.where(
            src < OWN_SHARE,
            us.pool2[q_user],
            np.where(
                src < OWN_SHARE + GENERIC_SHARE,
                us.pool_generic[q_user],
                us.pool_secondary[q_user],
            ),
        ),
    )
    query = world.pools.sample(rng, pool)
    n_click = CLICK_COUNTS[np.searchsorted(np.cumsum(CLICK_P), rng.random(s_total), "right")]
    c_search = np.repeat(np.arange(s_total), n_click)
    click_product = world.clicks(rng, query[c_search], q_persona[c_search])
    sess_clicks = np.bincount(q_sess, weights=n_click, minlength=n).astype(np.int64)

    # -- lay out the steps of every session ---------------------------------------------------
    steps = login + n_search + sess_clicks + n_browse
    base = _excl_cumsum(steps)
    total = int(steps.sum())
    kind = np.full(total, VIEWED, dtype=np.int8)
    product = np.full(total, -1, dtype=np.int64)
    from_search = np.zeros(total, dtype=bool)

    pos_login = base[login]
    kind[pos_login] = LOGIN

    first_search = _excl_cumsum(n_search)
    click_excl = _excl_cumsum(n_click)
    j = np.arange(s_total) - first_search[q_sess]
    earlier_clicks = click_excl - click_excl[first_search[q_sess]] if s_total else click_excl
    pos_search = base[q_sess] + login[q_sess] + j + earlier_clicks
    kind[pos_search] = _SEARCH

    k_within = np.arange(len(c_search)) - click_excl[c_search]
    pos_click = pos_search[c_search] + 1 + k_within
    product[pos_click] = click_product
    from_search[pos_click] = True

    b_sess = np.repeat(np.arange(n), n_browse)
    b_within = np.arange(len(b_sess)) - _excl_cumsum(n_browse)[b_sess]
    pos_browse = base[b_sess] + login[b_sess] + n_search[b_sess] + sess_clicks[b_sess] + b_within
    product[pos_browse] = world.browse(rng, persona[b_sess])

    # -- time: exponential gaps between steps, then carts and checkout ------------------------
    step_sess = np.repeat(np.arange(n), steps)
    gap = np.clip(rng.exponential(STEP_GAP_MEAN, total), STEP_GAP_MIN, STEP_GAP_MAX)
    gap = gap.astype(np.int64)
    gap[base] = 0
    csum = np.cumsum(gap)
    step_time = sess_start[step_sess] + (csum - csum[base][step_sess])

    views = np.flatnonzero(kind == VIEWED)
    v_sess = step_sess[views]
    p_cart = world.cart_rate[persona[v_sess]] * np.where(
        from_search[views], SEARCH_CLICK_CART_BOOST, 1.0
    )
    carted = views[rng.random(len(views)) < p_cart]
    cart_sess = step_sess[carted]
    cart_gap = np.clip(rng.exponential(CART_GAP_MEAN, len(carted)), STEP_GAP_MIN, STEP_GAP_MAX)
    cart_time = step_time[carted] + cart_gap.astype(np.int64)
    bought = rng.random(len(carted)) < BUY_RATE
    buy_sess = cart_sess[bought]

    end = step_time[base + steps - 1].copy()
    np.maximum.at(end, cart_sess, cart_time)
    checkout_gap = np.clip(rng.exponential(CHECKOUT_GAP_MEAN, n), STEP_GAP_MIN, STEP_GAP_MAX)
    checkout = end + checkout_gap.astype(np.int64)
    has_buy = np.bincount(buy_sess, minlength=n) > 0
    end = np.where(has_buy, checkout, end)
    # Keep every session inside its month (and so inside the period): one that would run past
    # the end is moved to end a random few minutes before it, not all on the last microsecond.
    latest = month_end - 1 - rng.integers(0, CHECKOUT_GAP_MEAN * 10, n)
    shift = np.maximum(end - latest, 0)
    step_time -= shift[step_sess]
    cart_time -= shift[cart_sess]
    checkout -= shift

    # -- events ---------------------------------------------------------------------------------
    ev_pos = np.flatnonzero(kind != _SEARCH)  # logins and views, in session order
    ev_user = np.concatenate(
        [sess_user[step_sess[ev_pos]], sess_user[cart_sess], sess_user[buy_sess]]
    )
    ev_type = np.concatenate(
        [
            kind[ev_pos],
            np.full(len(carted), ADD_TO_CART, dtype=np.int8),
            np.full(len(buy_sess), PURCHASED, dtype=np.int8),
        ]
    )
    ev_product = np.concatenate([product[ev_pos], product[carted], product[carted[bought]]])
    ev_time = np.concatenate([step_time[ev_pos], cart_time, checkout[buy_sess]])
    return Chunk(
        ev_user=ev_user,
        ev_type=ev_type,
        ev_product=ev_product,
        ev_time=ev_time,
        q_user=sess_user[q_sess],
        q_query=query,
        q_time=step_time[pos_search],
        q_clicks=n_click,
        click_product=click_product,
    )
