"""Maintained rollups on a real PostgreSQL server (session fixture, one database per test).

Known answers on the hand-made data: after a build the rollup equals the baseline and the
independent reference; after INSERTs of new events (a new week, a new user in an existing
week, a new event type for an existing user, purchases, a multi-row COPY) it still equals the
baseline recomputed from the events and the reference over the extended event list. What the
triggers cannot maintain makes the rollup stale, and a stale or missing rollup is refused with
one clear line (or rebuilt when asked), never answered.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ducky.datasets import DataDir
from ducky.engines.postgres import PostgresEngine
from ducky.engines.postgres.loader import load_datadir
from ducky.engines.postgres.maintenance import measure_insert_cost
from ducky.engines.postgres.rollups import PostgresRollups
from ducky.engines.rollups import ensure_fresh
from ducky.rollups import RollupNotReady
from tests import handmade, reference
from tests.cli_support import run_cli
from tests.handmade import write_datadir

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

T = dt.datetime

CASES: list[tuple[str, dict[str, Any]]] = [
    ("wau", {}),
    ("wau", {"event_type": "purchased"}),
    ("wau", {"event_type": "login"}),
    ("revenue", {}),
    ("revenue", {"date_from": "2025-01-01", "date_to": "2025-01-29"}),
    ("cohort", {}),
    ("cohort", {"event_type": "purchased"}),
    ("cohort", {"weeks": 3, "event_type": "viewed"}),
]

# New events a shop app writes after the build, each hitting one maintenance path.
NEW_WEEK = [handmade._e(1, "login", None, T(2025, 3, 18, 9, 0))]  # after the last week
NEW_USER_IN_WEEK = [handmade._e(3, "viewed", 20, T(2025, 1, 7, 10, 0))]  # user 3 had no events
NEW_TYPE_FOR_USER = [handmade._e(2, "login", None, T(2025, 1, 1, 8, 0))]  # user 2 week 0 + login
PURCHASES = [
    handmade._e(5, "purchased", 11, T(2025, 1, 2, 12, 0)),  # new (day, category, buyer)
    handmade._e(1, "purchased", 10, T(2024, 12, 30, 10, 0)),  # adds to an existing one
]


def _reference(query: str, params: dict[str, Any], events: list[dict[str, Any]]) -> Any:
    if query == "wau":
        return reference.wau(events, params.get("event_type"))
    if query == "revenue":
        d = {k: dt.datetime.fromisoformat(v) for k, v in params.items()}
        return reference.revenue(events, handmade.PRODUCTS, d.get("date_from"), d.get("date_to"))
    rows = reference.cohort(
        handmade.USERS, events, params.get("weeks", 8), params.get("event_type")
    )
    return [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


@pytest.fixture
def pg(handmade_dir: Path, pg_fresh_dsn: Callable[[], str]) -> Iterator[PostgresEngine]:
    """A PostgresEngine on an empty database of its own, hand-made data loaded."""
    with PostgresEngine(DataDir(handmade_dir), dsn=pg_fresh_dsn()) as eng:
        eng.load(progress=False)
        yield eng


def _insert(eng: PostgresEngine, events: list[dict[str, Any]]) -> None:
    """INSERT events the way an application does (one multi-row statement)."""
    with eng.con.cursor() as cur:
        cur.executemany(
            'INSERT INTO events (user_id, event_type, product_id, "timestamp") '
            "VALUES (%(user_id)s, %(event_type)s, %(product_id)s, %(timestamp)s)",
            events,
        )


def _check_all(eng: PostgresEngine, events: list[dict[str, Any]]) -> None:
    store = PostgresRollups(eng)
    for q in ("wau", "revenue", "cohort"):
        assert store.status(q).state == "fresh", store.status(q)
    for query, params in CASES:
        got = eng.query(query, "rollup", **params)
        base = eng.query(query, "baseline", **params)
        assert got.schema.types == base.schema.types, (query, params)
        assert got.to_pylist() == base.to_pylist(), (query, params)
        assert got.to_pylist() == _reference(query, params, events), (query, params)


def test_build_equals_baseline_and_reference(pg: PostgresEngine) -> None:
    store = PostgresRollups(pg)
    for q in ("wau", "revenue", "cohort"):
        assert store.status(q).state == "missing"
        stages = store.build(q)
        built = {s.detail.get("object"): s.detail for s in stages if s.stage == "rollup"}
        # the hand-made purchases carry no order ids: the set of counted orders starts empty
        empty_ok = {"rollup_category_orders"}
        assert all((d["rows"] > 0 or o in empty_ok) and d["bytes"] > 0 for o, d in built.items()), (
            built
        )
    st = store.status("wau")
    assert st.state == "fresh" and st.maintained and st.rows == 13 and st.build_s is not None
    _check_all(pg, handmade.EVENTS)


def test_inserts_are_maintained_by_the_triggers(pg: PostgresEngine) -> None:
    store = PostgresRollups(pg)
    for q in ("wau", "revenue", "cohort"):
        store.build(q)
    events = list(handmade.EVENTS)
    for batch in (NEW_WEEK, NEW_USER_IN_WEEK, NEW_TYPE_FOR_USER, PURCHASES):
        _insert(pg, batch)
        events += batch
        _check_all(pg, events)
    # The new week moved the data's last day: the bounds row followed it.
    bounds = pg.run("SELECT first_day, last_day FROM rollup_event_bounds").to_pylist()
    assert bounds == [{"first_day": dt.date(2024, 12, 30), "last_day": dt.date(2025, 3, 18)}]
    # COPY fires the same statement trigger (a batch of rows at once).
    batch = [
        handmade._e(6, "purchased", 30, T(2025, 3, 11, 9, 0)),
        handmade._e(6, "add-to-cart", 30, T(2025, 3, 11, 8, 0)),
        handmade._e(4, "login", None, T(2025, 3, 12, 9, 0)),
    ]
    with pg.con.cursor() as cur:
        cols = ("user_id", "event_type", "product_id", "timestamp")
        with cur.copy(
            'COPY events (user_id, event_type, product_id, "timestamp") FROM STDIN'
        ) as cp:
            for e in batch:
                cp.write_row([e[c] for c in cols])
    events += batch
    _check_all(pg, events)


def test_what_triggers_cannot_maintain_marks_stale(pg: PostgresEngine) -> None:
    store = PostgresRollups(pg)
    for q in ("wau", "revenue", "cohort"):
        store.build(q)
    pg.execute("DELETE FROM events WHERE user_id = 6")
    for q in ("wau", "revenue", "cohort"):
        st = store.status(q)
        assert st.state == "stale" and st.reason is not None
        assert st.reason.startswith("DELETE on events at "), st.reason
    with pytest.raises(RollupNotReady) as err:
        ensure_fresh(pg, "wau")
    msg = str(err.value)
    assert "\n" not in msg and "stale (DELETE on events" in msg
    assert "ducky rollup refresh wau -e postgres" in msg and "--refresh-rollup" in msg
    # Asked to, it rebuilds, says so, and the answer is the baseline's again.
    said: list[str] = []
    assert ensure_fresh(pg, "wau", refresh=True, notify=said.append).state == "fresh"
    assert said and said[0].startswith("refreshed the wau rollup on postgres") and " s (" in said[0]
    base = pg.query("wau", "baseline").to_pylist()
    assert pg.query("wau", "rollup").to_pylist() == base
    # A change to a user's signup date or a product's price is a change the cohort/revenue
    # rollups cannot follow incrementally.
    store.build("cohort")
    store.build("revenue")
    pg.execute("UPDATE users SET signup_date = signup_date - 1 WHERE user_id = 1")
    pg.execute("UPDATE products SET price = price + 1 WHERE product_id = 10")
    assert store.status("cohort").reason.startswith("UPDATE on users")  # type: ignore[union-attr]
    assert store.status("revenue").reason.startswith("UPDATE on products")  # type: ignore[union-attr]
    assert store.status("wau").state == "fresh"


def test_events_of_unknown_users_or_products_mark_stale(pg: PostgresEngine) -> None:
    store = PostgresRollups(pg)
    store.build("cohort")
    store.build("revenue")
    store.build("wau")
    _insert(pg, [handmade._e(99, "purchased", 77, T(2025, 1, 8, 9, 0))])
    assert store.status("cohort").reason == "events of unknown users were inserted"
    assert store.status("revenue").reason == "purchases of unknown products were inserted"
    # WAU does not join anything: it stays fresh and counts user 99.
    assert store.status("wau").state == "fresh"
    assert pg.query("wau", "rollup").to_pylist() == pg.query("wau", "baseline").to_pylist()


def test_missing_tables_or_triggers_and_other_loads_are_detected(pg: PostgresEngine) -> None:
    store = PostgresRollups(pg)
    st = store.status("wau")
    assert (st.state, st.reason) == ("missing", "never built")
    with pytest.raises(RollupNotReady, match="ducky rollup build wau -e postgres"):
        ensure_fresh(pg, "wau")
    store.build("wau")
    pg.execute("ALTER TABLE events DISABLE TRIGGER ducky_rollup_wau_insert")
    assert "ducky_rollup_wau_insert missing or disabled" in str(store.status("wau").reason)
    pg.execute("ALTER TABLE events ENABLE TRIGGER ducky_rollup_wau_insert")
    assert store.status("wau").state == "fresh"
    # Data loaded by something that did not rebuild the rollup: the fingerprint tells.
    pg.execute("UPDATE ducky_meta SET value = '{}' WHERE key = 'fingerprint'")
    assert store.status("wau").reason == "the loaded data changed since the build"
    store.build("wau")
    pg.execute("DROP TABLE rollup_week_mask")
    assert store.status("wau").reason == "table(s) rollup_week_mask missing"
    assert store.drop("wau") is True
    assert store.status("wau").state == "missing" and not store.status("wau").maintained
    assert not pg.relation_exists("rollup_user_week")
    _insert(pg, NEW_WEEK)  # no trigger left to fail


@pytest.mark.parametrize("method", ["binary", "adbc"])
def test_load_rebuilds_rollups_in_its_transaction(
    pg: PostgresEngine, tmp_path: Path, method: str
) -> None:
    store = PostgresRollups(pg)
    store.build("wau")
    store.build("cohort")
    events = [*handmade.EVENTS, *NEW_WEEK, *PURCHASES]
    other = write_datadir(tmp_path / "other", events=events)
    report = load_datadir(other, pg.dsn, method=method)
    assert [r["query"] for r in report.rollups] == ["wau", "cohort"]
    assert store.status("revenue").state == "missing"  # never built: not built by the load
    pg2 = PostgresEngine(DataDir(other), dsn=pg.dsn)
    with pg2:
        for q, params in CASES:
            if q == "revenue":
                continue
            assert PostgresRollups(pg2).status(q).state == "fresh"
            got = pg2.query(q, "rollup", **params).to_pylist()
            assert got == pg2.query(q, "baseline", **params).to_pylist()
            assert got == _reference(q, params, events)
        _insert(pg2, NEW_USER_IN_WEEK)  # the triggers are on the new tables
        events += NEW_USER_IN_WEEK
        assert pg2.query("wau", "rollup").to_pylist() == reference.wau(events)


def test_failed_build_keeps_the_previous_rollup(pg: PostgresEngine) -> None:
    store = PostgresRollups(pg)
    store.build("wau")
    before = pg.query("wau", "rollup").to_pylist()
    pg.execute("ALTER TABLE events RENAME COLUMN event_type TO kind")
    with pytest.raises(Exception, match="event_type"):
        store.build("wau")
    pg.execute("ALTER TABLE events RENAME COLUMN kind TO event_type")
    assert store.status("wau").state == "fresh"
    assert pg.query("wau", "rollup").to_pylist() == before


def test_insert_cost_measurement_leaves_data_unchanged(pg: PostgresEngine) -> None:
    store = PostgresRollups(pg)
    store.build("wau")
    store.build("revenue")
    n_before = pg.run("SELECT COUNT(*) FROM events").column(0)[0].as_py()
    cost = measure_insert_cost(pg, "wau", rows=10, repeat=2)
    assert cost["rows"] == 10 and cost["repeat"] == 2
    assert cost["with_trigger_s"] > 0 and cost["without_trigger_s"] > 0
    assert cost["with_trigger_rows_per_s"] == pytest.approx(10 / cost["with_trigger_s"], rel=1e-3)
    assert pg.run("SELECT COUNT(*) FROM events").column(0)[0].as_py() == n_before
    assert store.status("wau").state == "fresh" and store.status("revenue").state == "fresh"
    assert pg.query("wau", "rollup").to_pylist() == reference.wau(handmade.EVENTS)
    triggers = pg.run(
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'ducky_rollup_%_insert'"
    ).to_pylist()
    assert {t["tgenabled"] for t in triggers} == {"O"}  # nothing left disabled


def test_rollup_cli_and_query_refusal(tmp_path: Path, pg_fresh_dsn: Callable[[], str]) -> None:
    data = write_datadir(tmp_path / "data")
    env = {"DUCKY_PG_DSN": pg_fresh_dsn()}
    r = run_cli(
        "--data", str(data), "query", "wau", "-e", "postgres", "--variant", "rollup", env=env
    )
    assert r.code == 2
    assert (
        r.stderr.strip().splitlines() == [r.stderr.strip()]
        and "the wau rollup on postgres" in r.stderr
    )
    assert "is missing (never built): run `ducky rollup build wau -e postgres`" in r.stderr
    r = run_cli(
        "--data", str(data), "--json", "query", "wau", "-e", "postgres", "--variant", "rollup",
        "--refresh-rollup", env=env,
    )  # fmt: skip
    assert r.code == 0, r.stderr
    assert "built the wau rollup on postgres" in r.stderr
    got = json.loads(r.stdout)
    rows = got["rows"] if isinstance(got, dict) else got
    assert len(rows) == 7
    r = run_cli(
        "--data", str(data), "--json", "rollup", "build", "-e", "postgres", "revenue", env=env
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["built"]["revenue"]["action"] == "built"
    assert doc["rollups"][0]["state"] == "fresh" and doc["rollups"][0]["maintained"] is True
    r = run_cli("--data", str(data), "--json", "rollup", "status", "-e", "postgres", env=env)
    states = {x["query"]: x["state"] for x in json.loads(r.stdout)["rollups"]}
    assert states == {"wau": "fresh", "revenue": "fresh", "cohort": "missing"}
    r = run_cli("--data", str(data), "rollup", "status", "-e", "postgres", env=env)
    assert r.code == 0 and "insert triggers" in r.stdout and "never built" in r.stdout
    r = run_cli("--data", str(data), "--json", "rollup", "refresh", "-e", "postgres", env=env)
    built = json.loads(r.stdout)["built"]
    assert built["wau"]["action"] == "none (fresh)" and built["cohort"]["action"] == "built"
    r = run_cli("--data", str(data), "rollup", "drop", "-e", "postgres", "wau", env=env)
    assert r.code == 0 and "dropped the wau rollup" in r.stdout
    r = run_cli("--data", str(data), "rollup", "build", "-e", "postgres", "nope", env=env)
    assert r.code == 2 and "unknown rollup 'nope'" in r.stderr
    r = run_cli("--data", str(data), "query", "wau", "--refresh-rollup", env=env)
    assert r.code == 2 and "--refresh-rollup applies to --variant rollup only" in r.stderr


def test_wrong_dsn_is_one_line(tmp_path: Path, handmade_dir: Path) -> None:
    r = run_cli(
        "--data", str(handmade_dir), "rollup", "status", "-e", "postgres",
        "--dsn", "postgresql://nobody:pw@127.0.0.1:1/none",
    )  # fmt: skip
    assert r.code == 3 and len(r.stderr.strip().splitlines()) == 1
    assert "cannot connect" in r.stderr and "pw" not in r.stderr


def _totals_recomputed(eng: PostgresEngine) -> list[dict[str, Any]]:
    """The per-(category, currency) totals recomputed from scratch from the day table."""
    return eng.run(
        "SELECT category, currency, CAST(SUM(revenue) AS DECIMAL(18, 2)) AS revenue, "
        "CAST(SUM(purchases) AS BIGINT) AS purchases, "
        "CAST(COUNT(DISTINCT order_id) + SUM(orderless) AS BIGINT) AS orders, "
        "CAST(COUNT(DISTINCT user_id) AS BIGINT) AS buyers "
        "FROM rollup_category_day GROUP BY 1, 2 ORDER BY 1, 2"
    ).to_pylist()


def test_category_totals_are_maintained_exactly(pg: PostgresEngine) -> None:
    """The totals table (what revenue without a date range reads) stays equal to the distinct
    counts recomputed from the day table, and the rollup answer to the baseline's, through
    inserts of: a buyer new to a category, a buyer already counted there, an order split over
    two lines and two statements, an order-less purchase, an amount in another currency."""
    store = PostgresRollups(pg)
    store.build("revenue")
    totals = "SELECT * FROM rollup_category_totals ORDER BY 1, 2"
    assert pg.run(totals).to_pylist() == _totals_recomputed(pg)

    def purchase(user: int, product: int, day: int, **extra: Any) -> dict[str, Any]:
        row = handmade._e(user, "purchased", product, T(2025, 1, day, 12, 0))
        return {"order_id": None, "quantity": None, "amount": None, "currency": None} | row | extra

    batches = [
        [purchase(5, 11, 2), purchase(1, 10, 3)],  # new buyer 5 in 11's category; 1 again
        [purchase(4, 10, 8, order_id="o-1"), purchase(4, 20, 8, order_id="o-1", quantity=2)],
        [purchase(4, 10, 9, order_id="o-1")],  # the same order, a later statement: no new order
        [purchase(6, 30, 10, amount="7.25", currency="EUR", order_id="o-2")],
    ]
    for batch in batches:
        with pg.con.cursor() as cur:
            cur.executemany(
                'INSERT INTO events (user_id, event_type, product_id, "timestamp", order_id, '
                "quantity, amount, currency) VALUES (%(user_id)s, %(event_type)s, "
                "%(product_id)s, %(timestamp)s, %(order_id)s, %(quantity)s, %(amount)s, "
                "%(currency)s)",
                batch,
            )
        assert pg.run(totals).to_pylist() == _totals_recomputed(pg)
        assert store.status("revenue").state == "fresh"
        got = pg.query("revenue", "rollup")
        assert got.to_pylist() == pg.query("revenue", "baseline").to_pylist()
    eur = [r for r in pg.run(totals).to_pylist() if r["currency"] == "EUR"]
    assert len(eur) == 1 and eur[0]["orders"] == 1 and eur[0]["buyers"] == 1
    # The plan reads the totals table only (the day-table branch is planned away).
    plan = pg.explain(pg.render("revenue", "rollup"), analyze=False)
    assert "rollup_category_totals" in plan and "rollup_category_day" not in plan, plan
