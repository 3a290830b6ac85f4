"""Every operator and node type: DuckDB (compiled SQL) == an independent Polars computation.

The reference below evaluates the raw JSON spec with Polars DataFrame operations only (no SQL,
nothing from ducky.audience.compiler), following docs/AUDIENCE.md's semantics.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ducky.audience import parse_payload
from ducky.audience.service import AudienceService
from tests.fixtures.api_server import AUDIENCE_AS_OF

ALIASES = {"LOGIN": "login", "PURCHASE_MADE": "purchased", "ADDED_TO_CART": "add-to-cart"}


class Reference:
    """Evaluates a spec dict to the set of matching user ids with Polars."""

    def __init__(self, datadir: Path, as_of: dt.datetime | None) -> None:
        self.users = pl.read_parquet(datadir / "users.parquet")
        self.products = pl.read_parquet(datadir / "products.parquet")
        self.events = pl.read_parquet(str(datadir / "events" / "*" / "*.parquet")).select(
            "user_id", "event_type", "product_id", "timestamp"
        )
        self.as_of = as_of or self.events["timestamp"].max()
        self.all_ids = set(self.users["user_id"].to_list())

    # -- attributes --------------------------------------------------------------------------
    def attribute(self, n: dict[str, Any]) -> set[int]:
        c, op, v = pl.col(n["column"]), n["op"], n.get("value")
        if self.users.schema[n["column"]] == pl.Date:
            v = (
                [dt.date.fromisoformat(x) for x in v]
                if isinstance(v, list)
                else dt.date.fromisoformat(v)
                if isinstance(v, str)
                else v
            )
        expr = {
            "eq": lambda: c == v,
            "ne": lambda: c != v,
            "gt": lambda: c > v,
            "gte": lambda: c >= v,
            "lt": lambda: c < v,
            "lte": lambda: c <= v,
            "between": lambda: (c >= v[0]) & (c <= v[1]),
            "in": lambda: c.is_in(v),
            "not_in": lambda: ~c.is_in(v),
            "contains": lambda: c.str.contains(v, literal=True),
            "starts_with": lambda: c.str.starts_with(v),
            "like": lambda: c.str.contains(
                "^"
                + "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in v)
                + "$"
            ),
            "is_null": lambda: c.is_null(),
            "is_not_null": lambda: c.is_not_null(),
        }[op]()
        return set(self.users.filter(expr.fill_null(False))["user_id"].to_list())

    # -- events ------------------------------------------------------------------------------
    def _window(
        self, df: pl.DataFrame, w: dict[str, Any] | None, ts: str = "timestamp"
    ) -> pl.DataFrame:
        if not w:
            return df
        if "last_days" in w:
            return df.filter(pl.col(ts) > self.as_of - dt.timedelta(days=w["last_days"]))
        if w.get("start"):
            s = w["start"]
            start = dt.datetime.fromisoformat(s)  # a date-only start is its midnight
            df = df.filter(pl.col(ts) >= start)
        if w.get("end"):
            e = w["end"]
            end = (
                dt.datetime.fromisoformat(e)
                if len(e) > 10
                else dt.datetime.fromisoformat(e) + dt.timedelta(days=1)
            )
            df = df.filter(pl.col(ts) < end)
        return df

    def matching(self, f: dict[str, Any], window: dict[str, Any] | None = None) -> pl.DataFrame:
        event = ALIASES.get(f["event"], f["event"].lower())
        df = self.events.filter(
            (pl.col("event_type") == event) & (pl.col("timestamp") <= self.as_of)
        )
        df = self._window(df, window)
        return self._products(df, f.get("category"), f.get("price"))

    def _products(
        self, df: pl.DataFrame, category: str | None, price: dict[str, Any] | None
    ) -> pl.DataFrame:
        if category is None and price is None:
            return df
        p = self.products
        if category is not None:
            p = p.filter(pl.col("category") == category)
        if price and price.get("min") is not None:
            p = p.filter(pl.col("price").cast(pl.Float64) >= price["min"])
        if price and price.get("max") is not None:
            p = p.filter(pl.col("price").cast(pl.Float64) <= price["max"])
        return df.join(p.select("product_id"), on="product_id", how="semi")

    def event(self, n: dict[str, Any]) -> set[int]:
        counts = self.matching(n, n.get("window")).group_by("user_id").len()
        per_user = self.users.select("user_id").join(counts, on="user_id", how="left")
        cnt, k = pl.col("len").fill_null(0), n.get("count", 1)
        op = n.get("op", "gte")
        expr = {
            "eq": cnt == k,
            "ne": cnt != k,
            "gt": cnt > k,
            "gte": cnt >= k,
            "lt": cnt < k,
            "lte": cnt <= k,
        }[op]
        return set(per_user.filter(expr)["user_id"].to_list())

    def not_performed(self, n: dict[str, Any]) -> set[int]:
        return self.all_ids - set(self.matching(n, n.get("window"))["user_id"].to_list())

    def first_time(self, n: dict[str, Any]) -> set[int]:
        firsts = self.matching(n).group_by("user_id").agg(pl.col("timestamp").min())
        return set(self._window(firsts, n["window"])["user_id"].to_list())

    def sequence(self, n: dict[str, Any]) -> set[int]:
        a = self.matching(n["first"], n.get("window"))
        b = self.matching(n["then"])
        pairs = a.join(b, on="user_id", suffix="_b").filter(
            (pl.col("timestamp_b") > pl.col("timestamp"))
            & (pl.col("timestamp_b") <= pl.col("timestamp") + dt.timedelta(days=n["within_days"]))
        )
        if n.get("same_product"):
            pairs = pairs.filter(pl.col("product_id_b") == pl.col("product_id"))
        return set(pairs["user_id"].to_list())

    def cart_abandonment(self, n: dict[str, Any]) -> set[int]:
        carts = self.matching({"event": "add-to-cart", **n}, n.get("window"))
        carts = carts.with_row_index("cart")
        t = n.get("within_days")
        if t is not None:
            carts = carts.filter(pl.col("timestamp") + dt.timedelta(days=t) <= self.as_of)
        buys = self.events.filter(
            (pl.col("event_type") == "purchased") & (pl.col("timestamp") <= self.as_of)
        )
        bought = carts.join(buys, on=["user_id", "product_id"], suffix="_p").filter(
            pl.col("timestamp_p") >= pl.col("timestamp")
        )
        if t is not None:
            bought = bought.filter(
                pl.col("timestamp_p") <= pl.col("timestamp") + dt.timedelta(days=t)
            )
        left = carts.join(bought.select("cart"), on="cart", how="anti")
        return set(left["user_id"].to_list())

    def eval(self, n: dict[str, Any] | None) -> set[int]:
        if n is None:
            return set(self.all_ids)
        kind = n["type"]
        if kind == "all":
            out = set(self.all_ids)
            for c in n["conditions"]:
                out &= self.eval(c)
            return out
        if kind == "any":
            out = set()
            for c in n["conditions"]:
                out |= self.eval(c)
            return out
        if kind == "not":
            return self.all_ids - self.eval(n["condition"])
        return getattr(self, kind)(n)  # type: ignore[no-any-return]


def attr(column: str, op: str, value: Any = None) -> dict[str, Any]:
    d = {"type": "attribute", "column": column, "op": op}
    if value is not None:
        d["value"] = value
    return d


def ev(event: str, op: str = "gte", count: int = 1, **kw: Any) -> dict[str, Any]:
    return {"type": "event", "event": event, "op": op, "count": count, **kw}


CASES: dict[str, dict[str, Any]] = {
    # attribute operators
    "eq": attr("location", "eq", "California"),
    "ne": attr("location", "ne", "California"),
    "gt": attr("age", "gt", 40),
    "gte": attr("age", "gte", 40),
    "lt": attr("age", "lt", 25),
    "lte": attr("age", "lte", 25),
    "between": attr("age", "between", [25, 34]),
    "in": attr("plan", "in", ["basic", "premium"]),
    "not_in": attr("plan", "not_in", ["basic", "premium"]),
    "contains_wildcards": attr("name", "contains", "%_"),
    "contains_underscore": attr("name", "contains", "_"),
    "contains_quote": attr("name", "contains", "'"),
    "contains_bang": attr("name", "contains", "!"),
    "starts_with": attr("name", "starts_with", "Ann"),
    "starts_with_percent": attr("name", "starts_with", "50%"),
    "like_raw": attr("name", "like", "a_b"),
    "is_null": attr("age", "is_null"),
    "is_not_null": attr("age", "is_not_null"),
    "date_gte": attr("signup_date", "gte", "2025-01-15"),
    "date_between": attr("signup_date", "between", ["2024-12-01", "2024-12-31"]),
    # event counts, including the ones that must keep users without events
    "event_gte1": ev("login"),
    "event_eq0": ev("purchased", "eq", 0),
    "event_lt2": ev("purchased", "lt", 2),
    "event_lte1": ev("login", "lte", 1),
    "event_ne3": ev("viewed", "ne", 3),
    "event_gt5": ev("viewed", "gt", 5),
    "event_eq2_last30": ev("purchased", "eq", 2, window={"last_days": 30}),
    "event_between_dates": ev(
        "add-to-cart", "gte", 2, window={"start": "2025-02-01", "end": "2025-02-28"}
    ),
    "event_datetime_window": ev(
        "login", window={"start": "2025-01-10T06:00:00", "end": "2025-02-01T00:00:00"}
    ),
    "event_category": ev("purchased", category="electronics"),
    "event_price": ev("viewed", "gte", 2, price={"min": 100, "max": 300}),
    "event_category_price_lt": ev(
        "purchased", "lt", 1, category="home", price={"min": 50}, window={"last_days": 45}
    ),
    "event_case_insensitive": ev("LOGIN", "gte", 3),
    "not_performed": {"type": "not_performed", "event": "login", "window": {"last_days": 20}},
    "not_performed_category": {"type": "not_performed", "event": "purchased", "category": "toys"},
    "first_time": {"type": "first_time", "event": "purchased", "window": {"last_days": 40}},
    "first_time_dates": {
        "type": "first_time",
        "event": "login",
        "window": {"start": "2025-02-01", "end": "2025-02-15"},
    },
    "sequence": {
        "type": "sequence",
        "first": {"event": "add-to-cart"},
        "then": {"event": "purchased"},
        "within_days": 2,
    },
    "sequence_same_product": {
        "type": "sequence",
        "first": {"event": "add-to-cart", "category": "fashion"},
        "then": {"event": "purchased"},
        "within_days": 2.5,
        "same_product": True,
        "window": {"last_days": 60},
    },
    "cart_abandonment_never": {"type": "cart_abandonment"},
    "cart_abandonment_7d": {"type": "cart_abandonment", "within_days": 7},
    "cart_abandonment_window": {
        "type": "cart_abandonment",
        "within_days": 3,
        "window": {"last_days": 30},
        "category": "electronics",
    },
    # groups
    "all": {"type": "all", "conditions": [attr("device", "eq", "mobile"), ev("viewed", "gte", 3)]},
    "any": {"type": "any", "conditions": [attr("age", "lt", 20), ev("purchased", "eq", 0)]},
    "not_attr_null_safe": {"type": "not", "condition": attr("age", "gt", 40)},
    "not_event": {"type": "not", "condition": ev("login")},
    "empty_all": {"type": "all", "conditions": []},
    "empty_any": {"type": "any", "conditions": []},
    "nested": {
        "type": "all",
        "conditions": [
            {
                "type": "any",
                "conditions": [
                    attr("location", "in", ["California", "Texas"]),
                    {"type": "not", "condition": attr("plan", "eq", "free")},
                ],
            },
            {
                "type": "not",
                "condition": {
                    "type": "all",
                    "conditions": [ev("purchased", "gte", 2), {"type": "cart_abandonment"}],
                },
            },
        ],
    },
}


def _deep_not(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = attr("device", "eq", "tablet")
    for _ in range(depth - 1):
        node = {"type": "not", "condition": node}
    return node


CASES["depth_10"] = _deep_not(10)


@pytest.fixture(scope="module")
def service(audience_dir: Path) -> Iterator[AudienceService]:
    yield from _service(audience_dir)


def _service(path: Path) -> Iterator[AudienceService]:
    from ducky.datasets import DataDir
    from ducky.engines import open_engine

    with open_engine("duckdb", DataDir(path)) as eng:
        eng.load()
        yield AudienceService(eng)


@pytest.fixture(scope="module")
def reference(audience_dir: Path) -> Reference:
    return Reference(audience_dir, AUDIENCE_AS_OF)


@pytest.fixture(scope="module")
def generated_service(generated_dir: Path) -> Iterator[AudienceService]:
    yield from _service(generated_dir)


@pytest.fixture(scope="module")
def generated_reference(generated_dir: Path) -> Reference:
    return Reference(generated_dir, AUDIENCE_AS_OF)


def _check_case(name: str, service: AudienceService, reference: Reference) -> None:
    spec = {"where": CASES[name], "as_of": AUDIENCE_AS_OF.isoformat(), "limit": 10_000}
    got = service.query(parse_payload(spec).spec)
    expected = reference.eval(CASES[name])
    assert sorted(got.user_ids) == sorted(expected)
    assert got.total_count == len(expected)
    assert got.user_ids == sorted(got.user_ids)  # pages are ordered by user_id


@pytest.mark.parametrize("name", list(CASES))
def test_matches_polars(name: str, service: AudienceService, reference: Reference) -> None:
    """On the random data built for the traps (NULLs, wildcards in names, users without events)."""
    _check_case(name, service, reference)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_polars_on_generated_shop(
    name: str, generated_service: AudienceService, generated_reference: Reference
) -> None:
    """On the project's generated shop (2,000 users, 3 months): realistic distributions."""
    _check_case(name, generated_service, generated_reference)


def test_cases_are_not_trivial(reference: Reference) -> None:
    """Each leaf case keeps some users and drops some, so a wrong predicate cannot hide."""
    trivial = {"empty_all", "empty_any", "is_not_null", "not_performed_category"}
    for name, node in CASES.items():
        if name in trivial:
            continue
        n = len(reference.eval(node))
        assert 0 < n < len(reference.all_ids), f"{name} keeps {n} users"


def test_count_zero_includes_users_without_events(
    service: AudienceService, reference: Reference
) -> None:
    no_events = reference.all_ids - set(reference.events["user_id"].to_list())
    assert no_events  # the dataset has such users
    spec = {"where": ev("purchased", "lt", 1), "as_of": AUDIENCE_AS_OF.isoformat(), "limit": 10_000}
    got = set(service.query(parse_payload(spec).spec).user_ids)
    assert no_events <= got


def test_default_as_of_is_end_of_data(service: AudienceService, audience_dir: Path) -> None:
    ref = Reference(audience_dir, None)
    node = ev("login", window={"last_days": 10})
    got = service.query(parse_payload({"where": node, "limit": 10_000}).spec)
    assert got.as_of == ref.as_of
    assert sorted(got.user_ids) == sorted(ref.eval(node))


def test_cursor_pages_cover_the_audience_once(
    service: AudienceService, reference: Reference
) -> None:
    node = CASES["any"]
    expected = sorted(reference.eval(node))
    seen: list[int] = []
    cursor = None
    for _ in range(100):
        body: dict[str, Any] = {"where": node, "as_of": AUDIENCE_AS_OF.isoformat(), "limit": 17}
        if cursor:
            body["cursor"] = cursor
        page = service.query(parse_payload(body).spec)
        assert page.total_count == len(expected)
        seen += page.user_ids
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_count_only_and_explain(service: AudienceService, reference: Reference) -> None:
    node = CASES["nested"]
    spec = parse_payload({"where": node, "as_of": AUDIENCE_AS_OF.isoformat(), "count_only": True})
    result = service.query(spec.spec)
    assert result.total_count == len(reference.eval(node)) and result.users == []
    ex = service.explain(spec.spec)
    assert ex.total_count == len(reference.eval(node))
    by_path = {n.path: n.users for n in ex.nodes}
    assert by_path["where"] == len(reference.eval(node))
    assert by_path["where.conditions[0]"] == len(reference.eval(node["conditions"][0]))
    inner = node["conditions"][1]["condition"]["conditions"][1]
    assert by_path["where.conditions[1].condition.conditions[1]"] == len(reference.eval(inner))
    assert "SELECT" in ex.sql
