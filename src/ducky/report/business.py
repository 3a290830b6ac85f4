"""Business facts for the brief: revenue per currency, orders, AOV, revenue over time, the
view -> cart -> purchase funnel and the repeat purchase rate, computed with DuckDB SQL straight
over the data directory's Parquet files.

Revenue follows METRICS.md: a purchase's `amount` when the events carry one, else
`quantity` (default 1) x `products.price`; orders are distinct `order_id`s, an order-less
purchase counting as its own order; amounts are never summed across currencies. Those columns
are optional (ingested shops may have them, generated ones do not), so the SQL is written for
the columns actually present.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ducky.datasets import DataDir

VIEW, CART, PURCHASE = "viewed", "add-to-cart", "purchased"


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str | None  # None: the data records no currency (one currency, unnamed)
    revenue: float
    orders: int
    purchases: int
    buyers: int

    @property
    def aov(self) -> float:
        return self.revenue / self.orders if self.orders else 0.0


@dataclass(frozen=True)
class Period:
    start: dt.date
    currency: str | None
    revenue: float
    orders: int


@dataclass(frozen=True)
class SegmentValue:
    segment: str
    currency: str | None
    users: int
    buyers: int
    revenue: float
    orders: int

    @property
    def aov(self) -> float:
        return self.revenue / self.orders if self.orders else 0.0


@dataclass
class Business:
    totals: list[CurrencyTotals] = field(default_factory=list)  # largest revenue first
    by_month: list[Period] = field(default_factory=list)
    by_week: list[Period] = field(default_factory=list)
    # (step, distinct users who did this step and every one before it, in any order)
    funnel: list[tuple[str, int]] = field(default_factory=list)
    funnel_notes: list[str] = field(default_factory=list)  # buyers outside the funnel, said
    viewers_who_bought: int = 0  # users with a view and a purchase, a cart or not
    buyers: int = 0
    repeat_buyers: int = 0  # buyers with two or more orders
    revenue_source: str = ""  # how a purchase's revenue was computed, for the caption
    # Per segment of the last `ducky segment` run (empty when none): revenue per currency.
    by_segment: list[SegmentValue] = field(default_factory=list)

    @property
    def repeat_rate(self) -> float:
        return self.repeat_buyers / self.buyers if self.buyers else 0.0

    def funnel_rates(self) -> list[tuple[str, int, float | None]]:
        """(step, users, conversion from the previous step); None for the first step."""
        out: list[tuple[str, int, float | None]] = []
        prev: int | None = None
        for step, users in self.funnel:
            out.append((step, users, (users / prev if prev else 0.0) if prev is not None else None))
            prev = users
        return out


def _columns(con: Any, source: str) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}


def business_facts(datadir: DataDir, frames: dict[str, Any] | None = None) -> Business:
    """The facts from the data directory's Parquet files or, for a source read in place,
    from `frames` (canonical table -> pyarrow Table): the same SQL either way."""
    import duckdb

    out = Business()
    if not (frames is not None and "events" in frames) and not datadir.has_table("events"):
        return out
    con = duckdb.connect()
    try:
        if frames is not None:
            for name, tbl in frames.items():
                con.register(f"src_{name}", tbl)
            events = "src_events"
            has_products = "products" in frames
            products = "src_products"
        else:
            glob = datadir.table_glob("events").replace("'", "''")
            events = f"read_parquet('{glob}', union_by_name = true, hive_partitioning = false)"
            has_products = datadir.has_table("products")
            prod = datadir.table_glob("products").replace("'", "''")
            products = f"read_parquet('{prod}')"
        cols = _columns(con, events)
        from ducky.metrics import purchase_lines_sql

        lines, out.revenue_source = purchase_lines_sql(
            set(cols), events, products if has_products else None
        )
        con.execute(f"CREATE TEMP TABLE purchases AS {lines}")
        for c, revenue, orders, purchases, buyers in con.execute(
            """
            SELECT currency, COALESCE(SUM(revenue), 0), COUNT(DISTINCT order_key), COUNT(*),
                   COUNT(DISTINCT user_id)
            FROM purchases GROUP BY currency ORDER BY 2 DESC, currency
            """
        ).fetchall():
            out.totals.append(
                CurrencyTotals(c, float(revenue), int(orders), int(purchases), int(buyers))
            )
        for unit, target in (("month", out.by_month), ("week", out.by_week)):
            for start, c, revenue, orders in con.execute(
                f"""
                SELECT CAST(date_trunc('{unit}', ts) AS DATE) AS start, currency,
                       COALESCE(SUM(revenue), 0), COUNT(DISTINCT order_key)
                FROM purchases GROUP BY 1, 2 ORDER BY 1, 2
                """
            ).fetchall():
                target.append(Period(start, c, float(revenue), int(orders)))
        # A funnel of nested sets: each step counts the users of the step before who also
        # did this one (in any order), so no step can exceed the one before (counting each
        # event type apart gave "200 % of viewers bought" on a shop whose buyers' orders came
        # without view events). A step the data has no events of at all is left out.
        row = con.execute(
            f"""
            SELECT COUNT(*) FILTER (WHERE v), COUNT(*) FILTER (WHERE c),
                   COUNT(*) FILTER (WHERE p), COUNT(*) FILTER (WHERE v AND c),
                   COUNT(*) FILTER (WHERE v AND c AND p), COUNT(*) FILTER (WHERE v AND p)
            FROM (
                SELECT user_id, bool_or(event_type = '{VIEW}') AS v,
                       bool_or(event_type = '{CART}') AS c, bool_or(event_type = '{PURCHASE}') AS p
                FROM {events} WHERE event_type IN ('{VIEW}', '{CART}', '{PURCHASE}') GROUP BY 1
            )
            """
        ).fetchone()
        viewed, carted, bought, v_c, v_c_p, v_p = (int(x) for x in row) if row else (0,) * 6
        out.viewers_who_bought = v_p
        if viewed:
            out.funnel = [("viewed a product", viewed)]
            if carted:
                out.funnel.append(("added to cart", v_c))
            out.funnel.append(("purchased", v_c_p if carted else v_p))
            outside = bought - v_p
            if outside:
                out.funnel_notes.append(
                    f"{outside:,} of {bought:,} buyers {'has' if outside == 1 else 'have'} no "
                    f"view event and {'is' if outside == 1 else 'are'} not in the funnel"
                )
            if carted and v_p > v_c_p:
                n = v_p - v_c_p
                out.funnel_notes.append(
                    f"{n:,} {'viewer' if n == 1 else 'viewers'} bought without an add-to-cart "
                    "event: counted in viewers who bought, not in the funnel's last step"
                )
        seg = datadir.path / "segments" / "segments.parquet"
        if seg.is_file():
            out.by_segment = _segment_values(con, seg)
        row = con.execute(
            """
            SELECT COUNT(*), COUNT(*) FILTER (WHERE n >= 2)
            FROM (SELECT user_id, COUNT(DISTINCT order_key) AS n FROM purchases GROUP BY 1)
            """
        ).fetchone()
        out.buyers, out.repeat_buyers = (int(row[0]), int(row[1])) if row else (0, 0)
    finally:
        con.close()
    return out


def _segment_values(con: Any, path: Any) -> list[SegmentValue]:
    """Revenue, orders and buyers per segment (users of the segment with no purchase count in
    `users` only). Read defensively: a segments file without the columns yields nothing."""
    src = "read_parquet('" + str(path).replace("'", "''") + "')"
    if not {"user_id", "segment"} <= _columns(con, src):
        return []
    rows = con.execute(
        f"""
        WITH s AS (SELECT DISTINCT user_id, segment FROM {src}),
             sizes AS (SELECT segment, COUNT(*) AS users FROM s GROUP BY 1),
             v AS (
                 SELECT s.segment, p.currency, COUNT(DISTINCT p.user_id) AS buyers,
                        SUM(p.revenue) AS revenue, COUNT(DISTINCT p.order_key) AS orders
                 FROM s JOIN purchases AS p ON p.user_id = s.user_id
                 GROUP BY 1, 2
             )
        -- One row per (segment, currency) with purchases; a segment without any purchase
        -- gets a single row (currency NULL, zeros) instead of a phantom NULL-currency row
        -- next to its real ones.
        SELECT z.segment, v.currency, z.users, COALESCE(v.buyers, 0),
               COALESCE(v.revenue, 0), COALESCE(v.orders, 0)
        FROM sizes AS z LEFT JOIN v ON v.segment = z.segment
        ORDER BY 5 DESC, 1, 2
        """
    ).fetchall()
    return [SegmentValue(str(a), b, int(c), int(d), float(e), int(f)) for a, b, c, d, e, f in rows]
