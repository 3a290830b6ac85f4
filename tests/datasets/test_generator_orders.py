"""`ducky gen --orders [--second-currency] [--string-ids]` (issue 15): purchases carry orders,
and `ducky query revenue` on that data equals the independent reference (tests/reference.py)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tests import reference
from tests.cli_support import Result


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    from ducky.cli.main import main

    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    o, e = capsys.readouterr()
    return Result(code, o, e)


def _gen(capsys: pytest.CaptureFixture[str], out: Path, *flags: str) -> None:
    r = _cli(
        capsys,
        *("--data", str(out), "--json", "gen", "--months", "2", "--events", "40000", *flags),
    )
    assert r.code == 0, r.stderr


def _events(out: Path) -> list[dict[str, Any]]:
    return ds.dataset(out / "events", format="parquet", partitioning="hive").to_table().to_pylist()


@pytest.mark.parametrize(
    "flags",
    [
        ("--orders",),
        ("--orders", "--second-currency", "EUR", "--string-ids"),
    ],
)
def test_revenue_on_generated_orders_equals_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: tuple[str, ...]
) -> None:
    out = tmp_path / "data"
    _gen(capsys, out, *flags)
    events = _events(out)
    products = pq.read_table(out / "products.parquet").to_pylist()
    want = reference.revenue_orders(events, products)
    native = ("-o", "mode=native", "-o", f"database={tmp_path / 'n.duckdb'}")
    for opts in ((), native):  # DuckDB over Parquet, and DuckDB's own tables
        _check_revenue(capsys, out, want, flags, *opts)


def _check_revenue(
    capsys: pytest.CaptureFixture[str],
    out: Path,
    want: list[dict[str, Any]],
    flags: tuple[str, ...],
    *opts: str,
) -> None:
    r = _cli(capsys, "--data", str(out), "--json", "query", "revenue", *opts)
    assert r.code == 0, r.stderr
    got = json.loads(r.stdout)["rows"]
    assert len(want) > 10
    key = ("category", "currency", "purchases", "orders", "buyers")
    assert sorted(tuple(g[k] for k in key) for g in got) == sorted(
        tuple(w[k] for k in key) for w in want
    )
    money = {(g["category"], g["currency"]): Decimal(str(g["revenue"])) for g in got}
    assert money == {(w["category"], w["currency"]): w["revenue"] for w in want}
    aov = {(g["category"], g["currency"]): Decimal(str(g["avg_order_value"])) for g in got}
    assert aov == {(w["category"], w["currency"]): w["avg_order_value"] for w in want}
    currencies = {w["currency"] for w in want}
    assert currencies == ({"USD", "EUR"} if "EUR" in flags else {"USD"})
    # some orders really hold several lines, so orders < purchases somewhere
    assert sum(w["orders"] for w in want) < sum(w["purchases"] for w in want)


def test_order_columns_follow_the_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "data"
    _gen(capsys, out, "--orders", "--second-currency", "eur", "--string-ids")
    events = _events(out)
    price = {
        p["product_id"]: p["price"] for p in pq.read_table(out / "products.parquet").to_pylist()
    }
    buys = [e for e in events if e["event_type"] == "purchased"]
    others = [e for e in events if e["event_type"] != "purchased"]
    assert all(
        e["order_id"] is None and e["quantity"] is None and e["amount"] is None for e in others
    )
    assert isinstance(buys[0]["user_id"], str) and buys[0]["user_id"].startswith("u")
    assert isinstance(buys[0]["product_id"], str) and buys[0]["product_id"].startswith("p")
    orders: dict[str, list[dict[str, Any]]] = {}
    for e in buys:
        orders.setdefault(e["order_id"], []).append(e)
    sizes = [len(v) for v in orders.values()]
    assert max(sizes) <= 4 and min(sizes) == 1 and max(sizes) >= 2
    discounted = 0
    for lines in orders.values():
        # one order: one user, one checkout time, one currency
        assert len({(e["user_id"], e["timestamp"], e["currency"]) for e in lines}) == 1
        for e in lines:
            assert e["quantity"] in (1, 2, 3)
            base = price[e["product_id"]] * e["quantity"]
            if e["currency"] == "EUR":
                base *= Decimal("0.92")  # the generator's fixed rate
            # the paid amount is the full price, or 10 % / 20 % off it, rounded once to cents
            full, *off = (
                (base * (100 - d) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                for d in (0, 10, 20)
            )
            assert e["amount"] in (full, *off), e
            discounted += e["amount"] < full
    assert discounted > 0
    # a fifth of the users (index % 5 == 4, i.e. ids u000005, u000010...) pay in EUR
    eur = {e["user_id"] for e in buys if e["currency"] == "EUR"}
    assert eur and all(int(u[1:]) % 5 == 0 for u in eur)


def test_default_generation_keeps_its_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    _gen(capsys, out)
    schema = pq.read_schema(next((out / "events").rglob("*.parquet")))
    assert schema.names == ["user_id", "event_type", "product_id", "timestamp"]
    assert str(schema.field("user_id").type) == "int64"
    params = json.loads((out / "manifest.json").read_text())["producer"]["parameters"]
    assert not {"orders", "second_currency", "string_ids"} & set(params)
    # the opt-in order columns do not change the events themselves (their own random stream)
    with_orders = tmp_path / "orders"
    _gen(capsys, with_orders, "--orders")
    key = ("user_id", "event_type", "product_id", "timestamp")
    assert [tuple(e[k] for k in key) for e in _events(out)] == [
        tuple(e[k] for k in key) for e in _events(with_orders)
    ]


def test_second_currency_needs_orders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for flags, msg in (
        (("--second-currency", "EUR"), "--second-currency needs --orders"),
        (("--orders", "--second-currency", "usd"), "--second-currency must be a 3-letter"),
    ):
        r = _cli(capsys, "--data", str(tmp_path / "d"), "gen", "--months", "1", *flags)
        assert r.code == 2 and r.stderr.count("\n") == 1 and msg in r.stderr, r.stderr
