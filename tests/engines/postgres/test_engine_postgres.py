"""The PostgreSQL engine on a real server (session fixture): every canonical query equals
DuckDB's result exactly (values and Arrow types) and the independent reference; load is
skipped when the server already holds the data; errors are one clear line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ducky.datasets import DataDir
from ducky.engines.duckdb import DuckDBEngine
from ducky.engines.postgres import PostgresEngine
from ducky.engines.postgres.loader import load_datadir
from ducky.errors import ConnectionFailed, EngineError
from tests import handmade, reference
from tests.cli_support import run_cli
from tests.handmade import write_datadir

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

CASES: list[tuple[str, dict[str, Any]]] = [
    ("wau", {}),
    ("wau", {"event_type": "purchased"}),
    ("wau", {"event_type": "login"}),
    ("revenue", {}),
    ("revenue", {"date_from": "2025-01-01", "date_to": "2025-01-29"}),
    ("revenue", {"date_from": "2025-02-01"}),
    ("cohort", {}),
    ("cohort", {"event_type": "purchased"}),
    ("cohort", {"weeks": 3}),
    ("cohort", {"weeks": 0, "event_type": "viewed"}),
]


@pytest.fixture(scope="module")
def engines(handmade_dir: Path, pg_dsn: str) -> Any:
    dd = DataDir(handmade_dir)
    with PostgresEngine(dd, dsn=pg_dsn) as pg, DuckDBEngine(dd) as duck:
        pg.load(force=True)
        duck.load()
        yield pg, duck


def _reference(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if query == "wau":
        return reference.wau(handmade.EVENTS, params.get("event_type"))
    if query == "revenue":
        d = {k: dt.datetime.fromisoformat(v) for k, v in params.items()}
        return reference.revenue(
            handmade.EVENTS, handmade.PRODUCTS, d.get("date_from"), d.get("date_to")
        )
    rows = reference.cohort(
        handmade.USERS, handmade.EVENTS, params.get("weeks", 8), params.get("event_type")
    )
    return [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


@pytest.mark.parametrize(("query", "params"), CASES, ids=[f"{q}-{p}" for q, p in CASES])
def test_query_equals_duckdb_and_reference(
    engines: Any, query: str, params: dict[str, Any]
) -> None:
    pg, duck = engines
    got = pg.query(query, **params)
    want = duck.query(query, **params)
    assert got.schema.types == want.schema.types  # DATE, BIGINT, DECIMAL, DOUBLE, BOOLEAN
    assert got.column_names == want.column_names
    assert got.to_pylist() == want.to_pylist()
    assert got.num_rows > 0
    assert got.to_pylist() == _reference(query, params)


def test_known_answers_on_postgres(engines: Any) -> None:
    pg, _ = engines
    from decimal import Decimal

    rev = pg.query("revenue").to_pylist()
    assert rev[0] == {
        "category": "electronics",
        "currency": "USD",  # hand-made data without a currency column
        "revenue": Decimal("250.50"),
        "purchases": 3,
        "orders": 3,  # no order_id: each purchase is its own order
        "buyers": 3,
        "avg_order_value": Decimal("83.50"),  # 250.50 / 3
    }
    wau = {r["week_start"]: r["active_users"] for r in pg.query("wau").to_pylist()}
    assert wau[dt.date(2024, 12, 30)] == 3


def test_load_is_skipped_when_current_and_redone_when_data_changes(
    tmp_path: Path, pg_fresh_dsn: Callable[[], str]
) -> None:
    dsn = pg_fresh_dsn()
    data = write_datadir(tmp_path / "data")
    with PostgresEngine(DataDir(data), dsn=dsn) as pg:
        assert not pg.is_current()
        pg.load()
        assert pg.last_load is not None and pg.last_load.rows == 28
        assert pg.is_current()
        pg.last_load = None
        pg.load()
        assert pg.last_load is None  # nothing reloaded
        assert pg.timings[-1].detail["skipped"] is True
    # Regenerate the directory with fewer events: the fingerprint changes, load() reloads.
    shutil.rmtree(data)
    write_datadir(data, events=handmade.EVENTS[:5])
    with PostgresEngine(DataDir(data), dsn=dsn) as pg:
        assert not pg.is_current()
        pg.load()
        assert pg.run("SELECT COUNT(*) AS n FROM events").to_pylist() == [{"n": 5}]


def test_wau_halves_count_every_week_once_whatever_the_cut(engines: Any) -> None:
    """The optimized WAU cuts the weeks in two at the median week of a 0.3% block sample and
    counts each half in its own process. The hand-made table is too small for that sample (the
    cut is then a constant and one half holds every week), so here the sample is the whole table:
    the cut falls inside the date range, both halves count weeks, in a parallel plan, and the
    answer still equals the reference."""
    pg, _ = engines
    sql = pg.render("wau")
    sample = "TABLESAMPLE SYSTEM (0.3) REPEATABLE (0)"
    assert sql.count(sample) == 1  # one cut (a CTE inlined into both halves)
    whole = sql.replace(sample, "TABLESAMPLE SYSTEM (100) REPEATABLE (0)")
    cut = pg.run(
        "SELECT PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY ducky_week) AS cut,"
        " MIN(ducky_week) AS first, MAX(ducky_week) AS last FROM events"
    ).to_pylist()[0]
    assert cut["first"] < cut["cut"] <= cut["last"]  # weeks on both sides of the cut
    try:
        # A parallel plan even for 28 rows: the halves under one Parallel Append.
        pg.execute(
            "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
            " SET min_parallel_table_scan_size = 0; SET min_parallel_index_scan_size = 0;"
            " SET enable_hashagg = off"
        )
        plan = json.loads(pg.explain(whole))[0]["Plan"]
        assert pg.run(whole).to_pylist() == reference.wau(handmade.EVENTS, None)
    finally:
        pg.reset_settings()

    def nodes(n: dict[str, Any]) -> list[dict[str, Any]]:
        return [n, *(m for c in n.get("Plans") or [] for m in nodes(c))]

    assert any(n["Node Type"] in ("Gather", "Gather Merge") for n in nodes(plan))


def test_explain_is_json_with_buffers(engines: Any) -> None:
    pg, _ = engines
    plan = json.loads(pg.explain(pg.render("wau")))
    top = plan[0]
    assert "Execution Time" in top and "Plan" in top
    assert "Shared Hit Blocks" in top["Plan"]  # BUFFERS
    plain = json.loads(pg.explain("SELECT 1", analyze=False))
    assert "Execution Time" not in plain[0]


def test_execute_relation_size_and_reset(engines: Any) -> None:
    pg, _ = engines
    pg.execute(
        "DROP TABLE IF EXISTS t_size; CREATE TABLE t_size AS SELECT generate_series(1, 1000) AS x"
    )
    try:
        assert pg.relation_size("t_size") >= 8192
        assert pg.relation_exists("t_size")
        pg.execute("SET work_mem = '3MB'")
        assert pg.run("SHOW work_mem").column(0)[0].as_py() == "3MB"
        pg.reset_settings()
        assert pg.run("SHOW work_mem").column(0)[0].as_py() == "64MB"  # the local server's
    finally:
        pg.execute("DROP TABLE t_size")
    assert not pg.relation_exists("t_size")


def test_sql_error_is_one_line_engine_error(engines: Any) -> None:
    pg, _ = engines
    with pytest.raises(EngineError) as e:
        pg.run("SELECT no_such_column FROM events")
    assert not isinstance(e.value, ConnectionFailed)
    assert "no_such_column" in str(e.value) and "\n" not in str(e.value)
    assert pg.run("SELECT 1 AS one").to_pylist() == [{"one": 1}]  # the connection still works


def test_cli_query_on_postgres_matches_duckdb(
    engines: Any, handmade_dir: Path, pg_dsn: str
) -> None:
    from ducky.cli.output import rows_of

    _, duck = engines
    r = run_cli(
        "--data", str(handmade_dir), "--json", "query", "cohort", "--event", "purchased",
        "--engine", "postgres", "-o", f"dsn={pg_dsn}",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["rows"] == rows_of(duck.query("cohort", event_type="purchased"))


def _free_port() -> int:
    from ducky.engines.postgres.server import free_port

    return free_port()


def test_cli_unreachable_server_is_one_line_exit_3(handmade_dir: Path) -> None:
    dsn = f"postgresql://postgres:s3cret-pw@127.0.0.1:{_free_port()}/ducky"
    r = run_cli("--data", str(handmade_dir), "load", "-e", "postgres", "--dsn", dsn)
    assert r.code == 3
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: postgres: cannot connect to postgres@127.0.0.1:")
    assert "refused" in lines[0].lower()
    assert "s3cret-pw" not in r.stderr + r.stdout


def test_cli_wrong_password_is_one_line_exit_3(handmade_dir: Path, pg_dsn: str) -> None:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    bad = make_conninfo(**{**conninfo_to_dict(pg_dsn), "password": "not-the-password-42"})
    r = run_cli(
        "--data", str(handmade_dir), "query", "wau", "--engine", "postgres", "-o", f"dsn={bad}"
    )
    assert r.code == 3, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "password authentication failed" in lines[0]
    assert "not-the-password-42" not in r.stderr + r.stdout
    with pytest.raises(ConnectionFailed) as e:  # the loader says the same
        load_datadir(handmade_dir, bad)
    assert "password authentication failed" in str(e.value)
    assert "not-the-password-42" not in str(e.value)


def test_cli_malformed_dsn_is_one_line(handmade_dir: Path) -> None:
    r = run_cli(
        "--data",
        str(handmade_dir),
        "query",
        "wau",
        "--engine",
        "postgres",
        "-o",
        "dsn=postgresql://u:hunter2@127.0.0.1:notaport/db",
    )
    assert r.code == 3, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error: postgres:")
    assert "hunter2" not in r.stderr


def test_source_proposes_but_never_runs_the_stored_week_column() -> None:
    """On a shop's table read in place, the WAU index on ducky_week is only proposed (with the
    ALTER it needs, in the shop's column names), and the optimized SQL, which reads the
    column, is replaced by the baseline's; the (ts) index rewrites as before."""
    from ducky import sql as canonical_sql
    from ducky.engines.postgres.source import PgSource, reads_stored_column, rewrite_index

    src = PgSource("postgresql://u@localhost/db")
    src.plain["events"] = {"user_id": "uid", "timestamp": "occurred_at"}
    mapped = {"events": "shop.web_events"}
    week = "CREATE INDEX IF NOT EXISTS ducky_opt_events_week_user ON events (ducky_week, user_id)"
    ddl, name, proposal = rewrite_index(week, src, mapped)
    assert ddl is None and name == "ducky_opt_events_week_user"
    assert proposal.startswith('ALTER TABLE "shop"."web_events" ADD COLUMN "ducky_week" DATE')
    assert "DATE_TRUNC('week', \"occurred_at\")" in proposal and '(ducky_week, "uid")' in proposal
    ts = 'CREATE INDEX IF NOT EXISTS ducky_opt_events_timestamp ON events ("timestamp")'
    assert rewrite_index(ts, src, mapped)[0] == (
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ducky_opt_events_timestamp" '
        'ON "shop"."web_events" ("occurred_at")'
    )
    assert reads_stored_column(canonical_sql.render("wau", "postgres", "optimized"))
    # comments may name the column; only code counts
    assert not reads_stored_column("/* ducky_week */ SELECT 1 -- ducky_week")
