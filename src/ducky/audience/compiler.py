"""Spec -> sqlglot expression tree -> SQL in an engine's dialect.

Each condition compiles to a two-valued boolean over the row `u` of `users`: attribute tests
are wrapped in COALESCE(..., FALSE) and behavioural tests are `u.user_id [NOT] IN (...)` /
`[NOT] EXISTS (...)` over non-null ids. So `not` is an exact complement and groups are plain
AND / OR. User values only ever enter the tree as sqlglot literals, which the generator quotes
for the dialect; nothing is spliced into SQL text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlglot import exp

from ducky.audience.spec import (
    ID_COLUMN,
    AllGroup,
    AnyGroup,
    AttributeCondition,
    AudienceSpec,
    CartAbandonmentCondition,
    EventCondition,
    FirstTimeCondition,
    NotGroup,
    NotPerformedCondition,
    PriceRange,
    SequenceCondition,
    Window,
    _EventFilter,
)
from ducky.schema import USERS

LIKE_ESCAPE = "!"  # not a backslash: backslashes in literals differ between dialects
USER_ALIAS = "u"

_COMPARE: dict[str, type[exp.Binary]] = {
    "eq": exp.EQ,
    "ne": exp.NEQ,
    "gt": exp.GT,
    "gte": exp.GTE,
    "lt": exp.LT,
    "lte": exp.LTE,
}
_PY_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


# -- literals ---------------------------------------------------------------------------------
def literal(v: Any) -> exp.Expr:
    """A value as a typed sqlglot literal (dates and timestamps as CASTs of ISO strings)."""
    if isinstance(v, bool):
        return exp.true() if v else exp.false()
    if isinstance(v, int):
        return exp.Literal.number(v)
    if isinstance(v, float):
        return exp.Literal.number(repr(v))
    if isinstance(v, dt.datetime):
        return exp.cast(exp.Literal.string(v.isoformat(sep=" ")), exp.DataType.build("timestamp"))
    if isinstance(v, dt.date):
        return exp.cast(exp.Literal.string(v.isoformat()), exp.DataType.build("date"))
    if isinstance(v, str):
        return exp.Literal.string(v)
    raise TypeError(f"no literal for {type(v).__name__}")


def col(name: str, table: str) -> exp.Column:
    return exp.column(name, table, quoted=True)


def table(name: str, alias: str) -> exp.Expr:
    return exp.alias_(exp.Table(this=exp.to_identifier(name, quoted=True)), alias, table=True)


def escape_like(value: str) -> str:
    for ch in (LIKE_ESCAPE, "%", "_"):
        value = value.replace(ch, LIKE_ESCAPE + ch)
    return value


def seconds_interval(days: float) -> exp.Interval:
    seconds = round(days * 86400)
    return exp.Interval(this=exp.Literal.string(str(seconds)), unit=exp.Var(this="SECOND"))


def _and(parts: Sequence[exp.Expr]) -> exp.Expr:
    return exp.and_(*parts) if parts else exp.true()


# -- the compiler -----------------------------------------------------------------------------
@dataclass
class Compiler:
    """Compiles conditions for one resolved `as_of` instant."""

    as_of: dt.datetime

    def predicate(self, node: Any) -> exp.Expr:
        """The node as a two-valued boolean over users row `u`."""
        if isinstance(node, AllGroup):
            parts = [exp.paren(self.predicate(c)) for c in node.conditions]
            return exp.and_(*parts) if parts else exp.true()
        if isinstance(node, AnyGroup):
            parts = [exp.paren(self.predicate(c)) for c in node.conditions]
            return exp.or_(*parts) if parts else exp.false()
        if isinstance(node, NotGroup):
            return exp.not_(exp.paren(self.predicate(node.condition)))
        if isinstance(node, AttributeCondition):
            return self.attribute(node)
        if isinstance(node, EventCondition):
            return self.event(node)
        if isinstance(node, NotPerformedCondition):
            return self.not_performed(node)
        if isinstance(node, FirstTimeCondition):
            return self.first_time(node)
        if isinstance(node, SequenceCondition):
            return self.sequence(node)
        if isinstance(node, CartAbandonmentCondition):
            return self.cart_abandonment(node)
        raise TypeError(f"unknown node {type(node).__name__}")

    # -- attributes ---------------------------------------------------------------------------
    def attribute(self, node: AttributeCondition) -> exp.Expr:
        c: exp.Expr = col(node.column, USER_ALIAS)
        op, v = node.op, cast(Any, node.value)
        if node.column == ID_COLUMN and op not in ("gt", "gte", "lt", "lte", "between"):
            # user_id holds integers or a shop's strings, which the spec cannot know: equality,
            # lists and patterns compare as text, so one spec runs on either (an integer id
            # compares as its digits: 7 and "7" are the same user). Order comparisons stay
            # numeric; the service refuses them on text ids (AudienceService.check_ids).
            c = exp.Cast(this=c, to=exp.DataType.build("varchar"))
            if isinstance(v, list):
                v = [str(x) for x in v]
            elif v is not None:
                v = str(v)
        if op == "is_null":
            return exp.Is(this=c, expression=exp.Null())
        if op == "is_not_null":
            return exp.not_(exp.Is(this=c, expression=exp.Null()))
        pred: exp.Expr
        if op in _COMPARE:
            pred = _COMPARE[op](this=c, expression=literal(v))
        elif op == "between":
            pred = exp.Between(this=c, low=literal(v[0]), high=literal(v[1]))
        elif op == "in":
            pred = exp.In(this=c, expressions=[literal(x) for x in v])
        elif op == "not_in":
            pred = exp.not_(exp.In(this=c, expressions=[literal(x) for x in v]))
        elif op == "like":  # the seed's raw pattern: % and _ are wildcards on purpose
            pred = exp.Like(this=c, expression=exp.Literal.string(v))
        else:
            pattern = escape_like(v) + "%"
            if op == "contains":
                pattern = "%" + pattern
            pred = exp.Escape(
                this=exp.Like(this=c, expression=exp.Literal.string(pattern)),
                expression=exp.Literal.string(LIKE_ESCAPE),
            )
        # NULL attributes make the test false (not unknown), so NOT is a true complement
        return exp.func("COALESCE", exp.paren(pred), exp.false())

    # -- events -------------------------------------------------------------------------------
    def window(self, ts: exp.Expr, window: Window | None) -> list[exp.Expr]:
        """Timestamp conditions: never after as_of, and inside the window."""
        conds: list[exp.Expr] = [exp.LTE(this=ts, expression=literal(self.as_of))]
        if window is None:
            return conds
        if window.last_days is not None:
            lo = self.as_of - dt.timedelta(days=window.last_days)
            conds.append(exp.GT(this=ts.copy(), expression=literal(lo)))
            return conds
        start, end = window.start_instant(), window.end_instant()
        if start is not None:
            conds.append(exp.GTE(this=ts.copy(), expression=literal(start)))
        if end is not None:
            conds.append(exp.LT(this=ts.copy(), expression=literal(end)))
        return conds

    def _product_conds(
        self, product: str, category: str | None, price: PriceRange | None
    ) -> list[exp.Expr]:
        conds: list[exp.Expr] = []
        if category is not None:
            conds.append(exp.EQ(this=col("category", product), expression=literal(category)))
        if price is not None and price.min is not None:
            conds.append(exp.GTE(this=col("price", product), expression=literal(price.min)))
        if price is not None and price.max is not None:
            conds.append(exp.LTE(this=col("price", product), expression=literal(price.max)))
        return conds

    def matching_events(
        self,
        alias: str,
        f: _EventFilter | None,
        window: Window | None,
        event: str | None = None,
        category: str | None = None,
        price: PriceRange | None = None,
    ) -> tuple[exp.Select, list[exp.Expr]]:
        """FROM events `alias` (joined to products when filtered on them) and its conditions."""
        if f is not None:
            event, category, price = f.event, f.category, f.price
        q = exp.select().from_(table("events", alias))
        conds: list[exp.Expr] = []
        if event is not None:
            conds.append(exp.EQ(this=col("event_type", alias), expression=literal(event)))
        conds += self.window(col("timestamp", alias), window)
        product = self._product_conds(f"{alias}p", category, price)
        if product:
            q = q.join(
                table("products", f"{alias}p"),
                on=exp.EQ(this=col("product_id", f"{alias}p"), expression=col("product_id", alias)),
                join_type="inner",
            )
            conds += product
        return q, conds

    def event(self, node: EventCondition) -> exp.Expr:
        """count(matching events) op N, with count 0 for users without any."""
        q, conds = self.matching_events("e", node, node.window)
        zero_matches = _PY_COMPARE[node.op](0, node.count)
        one_matches = _PY_COMPARE[node.op](1, node.count)
        at_least_one = not zero_matches and all(
            _PY_COMPARE[node.op](k, node.count) for k in (1, 2, 1_000_000_000)
        )
        if at_least_one or (zero_matches and not one_matches and node.op in ("eq", "lt", "lte")):
            # "at least once" / "never": a semi / anti join, no per-user counting needed
            # (about 3x faster on DuckDB than GROUP BY user_id over every matching event)
            conds.append(exp.EQ(this=col("user_id", "e"), expression=col("user_id", USER_ALIAS)))
            exists = exp.Exists(this=q.select(exp.Literal.number(1)).where(_and(conds)))
            return exists if at_least_one else exp.not_(exists)
        count = exp.Count(this=exp.Star())
        having: exp.Expr = _COMPARE[node.op](this=count, expression=literal(node.count))
        if zero_matches:
            # users with no matching event match too: remove those whose count fails instead
            having = exp.not_(exp.paren(having))
        sub = (
            q.select(col("user_id", "e"))
            .where(_and(conds))
            .group_by(col("user_id", "e"))
            .having(having)
        )
        if not zero_matches:
            return exp.In(this=col("user_id", USER_ALIAS), query=sub.subquery())
        # NOT EXISTS rather than NOT IN: PostgreSQL plans it as an anti join
        failing = (
            exp.select(exp.Literal.number(1))
            .from_(sub.subquery("f"))
            .where(exp.EQ(this=col("user_id", "f"), expression=col("user_id", USER_ALIAS)))
        )
        return exp.not_(exp.Exists(this=failing))

    def not_performed(self, node: NotPerformedCondition) -> exp.Expr:
        q, conds = self.matching_events("e", node, node.window)
        conds.append(exp.EQ(this=col("user_id", "e"), expression=col("user_id", USER_ALIAS)))
        sub = q.select(exp.Literal.number(1)).where(_and(conds))
        return exp.not_(exp.Exists(this=sub))

    def first_time(self, node: FirstTimeCondition) -> exp.Expr:
        q, conds = self.matching_events("e", node, None)  # the first ever, up to as_of
        first = exp.Min(this=col("timestamp", "e"))
        having = self.window(first, node.window)[1:]  # min <= as_of already holds
        sub = (
            q.select(col("user_id", "e"))
            .where(_and(conds))
            .group_by(col("user_id", "e"))
            .having(_and(having))
        )
        return exp.In(this=col("user_id", USER_ALIAS), query=sub.subquery())

    def sequence(self, node: SequenceCondition) -> exp.Expr:
        """Users with a `first` event followed by a `then` event within within_days.

        One pass instead of a self-join: the first-step rows (kind 1) and the then-step rows
        (kind 0) are stacked and sorted per user (and product), and each first-step row looks
        up the earliest then-step row after it with a window MIN. The self-join paired every
        first event with every later then event of the user (viewed -> viewed: quadratic per
        user); N such conditions took 7.7 GB at N=5 and 20 GB at N=20 (issue 21), this is
        one sort per condition. On equal timestamps kind 0 sorts first, so the rows after a
        first-step row are strictly later then-steps (or other first-steps, which the CASE
        ignores): "strictly later" as before.
        """
        keys = ["user_id", "product_id"] if node.same_product else ["user_id"]

        def stacked(alias: str, step: Any, window: Window | None, kind: int) -> exp.Select:
            q, conds = self.matching_events(alias, step, window)
            if node.same_product:  # NULL products never pair (b.product_id = a.product_id)
                conds.append(exp.not_(exp.Is(this=col("product_id", alias), expression=exp.Null())))
            return q.select(
                *[col(k, alias).as_(k) for k in keys],
                col("timestamp", alias).as_("ts"),
                exp.Literal.number(kind).as_("kind"),
            ).where(_and(conds))

        rows = exp.union(
            stacked("a", node.first, node.window, 1),
            stacked("b", node.then, None, 0),
            distinct=False,
        )
        # fixed SQL text with no user value in it: only column names
        partition = ", ".join(f'"{k}"' for k in keys)
        next_then: exp.Expr = exp.maybe_parse(
            'MIN(CASE WHEN "kind" = 0 THEN "ts" END) OVER (PARTITION BY '
            + partition
            + ' ORDER BY "ts", "kind" ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)'
        )
        scored = exp.select(
            col("user_id", "x"),
            col("ts", "x"),
            col("kind", "x"),
            next_then.as_("next_ts"),
        ).from_(rows.subquery("x"))
        s_ts = col("ts", "s")
        sub = (
            exp.select(col("user_id", "s"))
            .from_(scored.subquery("s"))
            .where(
                _and(
                    [
                        exp.EQ(this=col("kind", "s"), expression=exp.Literal.number(1)),
                        exp.LTE(
                            this=col("next_ts", "s"),
                            expression=exp.Add(
                                this=s_ts, expression=seconds_interval(node.within_days)
                            ),
                        ),
                    ]
                )
            )
        )
        return exp.In(this=col("user_id", USER_ALIAS), query=sub.subquery())

    def cart_abandonment(self, node: CartAbandonmentCondition) -> exp.Expr:
        q, conds = self.matching_events(
            "c", None, node.window, "add-to-cart", node.category, node.price
        )
        c_ts, b_ts = col("timestamp", "c"), col("timestamp", "b")
        bought = [
            exp.EQ(this=col("user_id", "b"), expression=col("user_id", "c")),
            exp.EQ(this=col("product_id", "b"), expression=col("product_id", "c")),
            exp.EQ(this=col("event_type", "b"), expression=literal("purchased")),
            exp.GTE(this=b_ts, expression=c_ts),
            exp.LTE(this=b_ts.copy(), expression=literal(self.as_of)),
        ]
        if node.within_days is not None:
            deadline = exp.Add(this=c_ts.copy(), expression=seconds_interval(node.within_days))
            bought.append(exp.LTE(this=b_ts.copy(), expression=deadline))
            # a cart younger than the delay may still be bought: not abandoned (yet)
            conds.append(exp.LTE(this=deadline.copy(), expression=literal(self.as_of)))
        purchase = exp.select(exp.Literal.number(1)).from_(table("events", "b")).where(_and(bought))
        conds.append(exp.not_(exp.Exists(this=purchase)))
        sub = q.select(col("user_id", "c")).where(_and(conds))
        return exp.In(this=col("user_id", USER_ALIAS), query=sub.subquery())


# -- whole queries ----------------------------------------------------------------------------
USER_COLUMNS = tuple(USERS.column_names)


def audience_select(spec: AudienceSpec, as_of: dt.datetime) -> exp.Select:
    """SELECT the users' columns FROM users u WHERE <spec>."""
    q = exp.select(*[col(c, USER_ALIAS) for c in USER_COLUMNS]).from_(table("users", USER_ALIAS))
    if spec.where is not None:
        q = q.where(Compiler(as_of).predicate(spec.where))
    return q


def count_query(spec: AudienceSpec, as_of: dt.datetime, node: Any = None) -> exp.Select:
    """SELECT COUNT(*) of the users matching `node` (default: the whole spec)."""
    q = exp.select(exp.Count(this=exp.Star()).as_("total_count")).from_(table("users", USER_ALIAS))
    target = spec.where if node is None else node
    if target is not None:
        q = q.where(Compiler(as_of).predicate(target))
    return q


def page_query(spec: AudienceSpec, as_of: dt.datetime, text_ids: bool = False) -> exp.Select:
    """One page ordered by user_id after the cursor, with the audience's total on each row.

    The audience is a CTE of user ids only, read twice (count, and the page's ids), so engines
    compute the predicate once and fetch full user rows only for the page (2x faster on DuckDB
    than carrying every column through the CTE). limit + 1 ids are taken so the service knows
    whether a next page exists.
    """
    ids = exp.select(col("user_id", USER_ALIAS)).from_(table("users", USER_ALIAS))
    if spec.where is not None:
        ids = ids.where(Compiler(as_of).predicate(spec.where))
    page = (
        exp.select(col("user_id", "a"))
        .from_(table("audience", "a"))
        .order_by(col("user_id", "a"))
        .limit(spec.limit + 1)
    )
    after = spec.cursor_id(text_ids)  # a text cursor on text ids: a quoted literal
    if after is not None:
        page = page.where(exp.GT(this=col("user_id", "a"), expression=literal(after)))
    total = exp.select(exp.Count(this=exp.Star())).from_(
        exp.Table(this=exp.to_identifier("audience", quoted=True))
    )
    return (
        exp.select(
            exp.Subquery(this=total).as_("total_count"),
            *[col(c, USER_ALIAS) for c in USER_COLUMNS],
        )
        .from_(table("users", USER_ALIAS))
        .join(
            table("page", "p"),
            on=exp.EQ(this=col("user_id", "p"), expression=col("user_id", USER_ALIAS)),
            join_type="inner",
        )
        .order_by(col("user_id", USER_ALIAS))
        .with_("audience", as_=ids)
        .with_("page", as_=page)
    )


def render(expression: exp.Expr, dialect: Any) -> str:
    """The SQL for `dialect`: a dialect name, or an engine's sqlglot dialect
    (`Engine.sql_dialect()`, which carries that engine's fix-ups)."""
    return expression.sql(dialect=dialect)


def iter_nodes(node: Any, path: str = "where") -> Iterator[tuple[str, Any]]:
    """Every node of the tree with its path, parents first."""
    yield path, node
    if isinstance(node, AllGroup | AnyGroup):
        for i, c in enumerate(node.conditions):
            yield from iter_nodes(c, f"{path}.conditions[{i}]")
    elif isinstance(node, NotGroup):
        yield from iter_nodes(node.condition, f"{path}.condition")
