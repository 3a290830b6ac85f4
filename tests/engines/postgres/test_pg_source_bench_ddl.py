"""`ducky bench` on a shop's own PostgreSQL tables (--data postgresql://... --mapping): what it
proposes, builds or skips on the shop's table, and why.

The shop keeps its events in shop2.clicks, the timestamp in `event_time` (TIMESTAMP or
TIMESTAMPTZ), its ids as integers or text. Every statement the bench proposes or suggests
names the shop's own schema, table and columns, and is run here on a COPY of shop2.clicks in
a throwaway schema (never on the shop's table): it must succeed, and the proposed week column
must hold ducky's UTC weeks whatever the session's TimeZone. A role that may read the tables
but not index them gets the bench with that index reported as not built (exit 0). Every index
not built says why on screen, one line of at most 80 columns per variant's index. The shop's
objects are unchanged afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from tests import handmade
from tests.cli_support import Result, run_cli
from tests.engines.postgres.test_pg_safety import snapshot
from tests.engines.postgres.test_pg_source_string_ids import PRODUCT, USER

pytestmark = pytest.mark.postgres

DDL = """
CREATE SCHEMA shop2;
CREATE TABLE shop2.users (user_id {id} PRIMARY KEY, signup_date DATE NOT NULL, country TEXT);
CREATE TABLE shop2.products (product_id {id} PRIMARY KEY, category VARCHAR(40) NOT NULL,
                             price NUMERIC(10, 2) NOT NULL);
CREATE TABLE shop2.clicks (user_id {id} NOT NULL, event_type TEXT NOT NULL, product_id {id},
                           event_time {ts} NOT NULL);
CREATE INDEX shop2_clicks_user ON shop2.clicks (user_id);
"""
MAPPING = """\
schema: shop2
tables: {events: clicks}
events: {timestamp: event_time}
"""
TABLE = '"shop2"."clicks"'
COPY = '"ducky_verify"."clicks"'
PROPOSED = "ducky: proposed, never run by ducky on your table: "
SUGGESTED = "ducky: not built (needs --allow-ddl): "


def _fill(dsn: str, ids: str, ts: str) -> None:
    text = ids == "TEXT"

    def uid(i: int) -> Any:
        return USER[i] if text else i

    def pid(i: int | None) -> Any:
        return None if i is None else PRODUCT[i] if text else i

    def when(t: dt.datetime) -> dt.datetime:
        return t.replace(tzinfo=dt.UTC) if ts == "TIMESTAMPTZ" else t

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(DDL.format(id=ids, ts=ts))
        c.execute("SET TimeZone = 'UTC'")
        with c.cursor() as cur:
            cur.executemany(
                "INSERT INTO shop2.users VALUES (%s, %s, %s)",
                [(uid(u["user_id"]), u["signup_date"], u["country"]) for u in handmade.USERS],
            )
            cur.executemany(
                "INSERT INTO shop2.products VALUES (%s, %s, %s)",
                [(pid(p["product_id"]), p["category"], p["price"]) for p in handmade.PRODUCTS],
            )
            cur.executemany(
                "INSERT INTO shop2.clicks VALUES (%s, %s, %s, %s)",
                [
                    (uid(e["user_id"]), e["event_type"], pid(e["product_id"]), when(e["timestamp"]))
                    for e in handmade.EVENTS
                ],
            )
        c.execute("ANALYZE shop2.clicks")


def _shop(make: Callable[[], str], tmp_path: Path, ids: str, ts: str) -> tuple[str, Path]:
    dsn = make()
    _fill(dsn, ids, ts)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING)
    return dsn, mapping


def _bench(dsn: str, mapping: Path, out: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    r = run_cli(
        "--data", dsn, "--mapping", str(mapping), "bench", "-q", "wau,revenue,cohort",
        "-n", "1", "--out-dir", str(out), *args,
    )  # fmt: skip
    assert r.code == 0, r.stderr
    doc: dict[str, Any] = json.loads((out / "latest.json").read_text())
    return r, doc


def _index_stages(doc: dict[str, Any], query: str, variant: str) -> list[dict[str, Any]]:
    rec = next(x for x in doc["records"] if (x["query"], x["variant"]) == (query, variant))
    return [s["detail"] for s in rec["stages"] if s["stage"] == "index"]


def _utc_week(t: dt.datetime) -> dt.date:
    """ducky's week: the Monday of the UTC date (independent of any SQL)."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    day = t.date()
    return day - dt.timedelta(days=day.weekday())


def _run_on_a_copy(dsn: str, statements: list[str], ts: str) -> None:
    """Each statement on a copy of shop2.clicks in a throwaway schema, in a session whose
    TimeZone is not UTC: it must run, build a valid index, and a proposed week column must hold
    the UTC week of every row, including one inserted after (Monday 02:00 UTC is still Sunday
    in New York)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET TimeZone = 'America/New_York'")
        c.execute("CREATE SCHEMA ducky_verify")
        try:
            c.execute("CREATE TABLE ducky_verify.clicks (LIKE shop2.clicks INCLUDING ALL)")
            c.execute("INSERT INTO ducky_verify.clicks SELECT * FROM shop2.clicks")
            for st in statements:
                assert st.count(TABLE) == 1, st  # the shop's table, quoted and qualified
                on_copy = st.replace(TABLE, COPY)
                assert "shop2" not in on_copy, st  # and nothing else of the shop's
                c.execute(on_copy)
            edge = "2025-03-10 02:00:00" + ("+00" if ts == "TIMESTAMPTZ" else "")
            c.execute(
                "INSERT INTO ducky_verify.clicks (user_id, event_type, product_id, event_time) "
                f"SELECT user_id, 'viewed', NULL, '{edge}' FROM ducky_verify.clicks LIMIT 1"
            )
            names = [st.split('"')[1] for st in statements if "CREATE INDEX" in st]
            valid = c.execute(
                "SELECT c.relname, i.indisvalid FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'ducky_verify.clicks'::regclass AND c.relname = ANY(%s)",
                (names,),
            ).fetchall()
            assert sorted(valid) == sorted((n, True) for n in names)
            if any("ducky_week" in st for st in statements):
                rows = c.execute(
                    "SELECT event_time, ducky_week FROM ducky_verify.clicks"
                ).fetchall()
                assert len(rows) == len(handmade.EVENTS) + 1
                assert [w for _, w in rows] == [_utc_week(t) for t, _ in rows]
                assert dt.date(2025, 3, 10) in [w for _, w in rows]
        finally:
            c.execute("DROP SCHEMA ducky_verify CASCADE")


@pytest.mark.parametrize("ts", ["TIMESTAMP", "TIMESTAMPTZ"])
@pytest.mark.parametrize("ids", ["BIGINT", "TEXT"])
def test_every_proposed_statement_runs_on_a_copy_of_the_shops_table(
    pg_fresh_dsn: Callable[[], str], tmp_path: Path, ids: str, ts: str
) -> None:
    dsn, mapping = _shop(pg_fresh_dsn, tmp_path, ids, ts)
    before = snapshot(dsn)
    r, doc = _bench(dsn, mapping, tmp_path / "bench")
    assert snapshot(dsn) == before
    # WAU's (week, user) index needs the stored week column: proposed with its ALTER TABLE,
    # in the shop's names (the line a user copies); the (timestamp) index is suggested on
    # "event_time" where the view reads it unchanged. Each runs on a copy of the table.
    printed = [ln.removeprefix(PROPOSED) for ln in r.stderr.splitlines() if ln.startswith(PROPOSED)]
    assert len(printed) == 1, r.stderr
    proposal = printed[0].split("; ")
    suggested = [
        ln.removeprefix(SUGGESTED) for ln in r.stderr.splitlines() if ln.startswith(SUGGESTED)
    ]
    _run_on_a_copy(dsn, [*proposal, *suggested], ts)
    assert snapshot(dsn) == before
    week = (
        "DATE_TRUNC('week', (\"event_time\" AT TIME ZONE 'UTC'))"
        if ts == "TIMESTAMPTZ"
        else "DATE_TRUNC('week', \"event_time\")"
    )
    assert proposal == [
        f'ALTER TABLE {TABLE} ADD COLUMN "ducky_week" DATE GENERATED ALWAYS AS '
        f"(CAST({week} AS DATE)) STORED",
        f'CREATE INDEX CONCURRENTLY "ducky_opt_events_week_user" ON {TABLE} '
        '(ducky_week, "user_id")',
    ]
    # The record holds the same statements, one by one.
    (wau,) = [d for d in _index_stages(doc, "wau", "optimized") if d.get("proposal")]
    assert wau["statements"] == proposal and wau["proposal"] == printed[0]
    if ts == "TIMESTAMP":
        assert suggested == [
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ducky_opt_events_timestamp" '
            f'ON {TABLE} ("event_time")'
        ]
    else:  # the view casts event_time to timestamp: an index on event_time cannot serve
        assert suggested == []
        assert "ducky: cohort/optimized: not built (event_time: timestamptz read as " in (r.stderr)


@pytest.fixture
def reader(pg_fresh_dsn: Callable[[], str], tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """The shop (BIGINT ids, TIMESTAMP) and a login role that may read shop2 but owns nothing:
    (the owner's DSN, the role's DSN, the mapping). Roles are cluster-wide: a unique name."""
    dsn, mapping = _shop(pg_fresh_dsn, tmp_path, "BIGINT", "TIMESTAMP")
    u = urlsplit(dsn)
    name = f"ducky_reader_{u.path.strip('/')}"
    secret = f"pw-{name}-s3cr3t"
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"DROP ROLE IF EXISTS {name}")
        c.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{secret}'")
        c.execute(f"GRANT USAGE ON SCHEMA shop2 TO {name}")
        c.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA shop2 TO {name}")
    yield dsn, f"postgresql://{name}:{secret}@{u.hostname}:{u.port}{u.path}", mapping
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f"DROP OWNED BY {name}")
        c.execute(f"DROP ROLE {name}")


def test_allow_ddl_without_privilege_reports_the_index_and_runs_the_rest(
    reader: tuple[str, str, Path], tmp_path: Path
) -> None:
    owner, dsn, mapping = reader
    before = snapshot(owner)
    r, doc = _bench(dsn, mapping, tmp_path / "bench", "--allow-ddl")
    assert snapshot(owner) == before
    why = "no privilege on shop2.clicks: must be owner"
    ddl = f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ducky_opt_events_timestamp" ON {TABLE} '
    lines = r.stderr.splitlines()
    # One line per variant whose index was refused, naming the shop's table...
    assert f"ducky: wau/optimized: not built ({why})" in lines
    assert f"ducky: cohort/optimized: not built ({why})" in lines
    # ...and once the statement its owner could run.
    assert lines.count(f'ducky: not built ({why}): {ddl}("event_time")') == 1
    assert not any(ln.startswith("ducky: dropped again") for ln in lines)
    # Baseline and every variant ran, with the same answers; the record says why.
    ran = {(x["query"], x["variant"]) for x in doc["records"] if x["runs"] and x["parity"]}
    assert ran == {(q, v) for q in ("wau", "revenue", "cohort") for v in ("baseline", "optimized")}
    for query in ("wau", "cohort"):
        refused = [d for d in _index_stages(doc, query, "optimized") if d.get("error")]
        assert [(d["skipped"], d["not_built"]) for d in refused] == [(f"not built ({why})", why)]
        assert refused[0]["sql"] == f'{ddl}("event_time")'
        assert "must be owner of table clicks" in refused[0]["error"]
    # The owner's own run builds it (and drops it again): the refusal was the role's.
    r, doc = _bench(owner, mapping, tmp_path / "owner", "-q", "wau", "--allow-ddl")
    assert f'ducky: dropped again: {ddl}("event_time")  -- ' in r.stderr
    assert snapshot(owner) == before


def test_every_index_not_built_says_why_on_screen(
    pg_fresh_dsn: Callable[[], str], tmp_path: Path
) -> None:
    """The tester's shop: INTEGER ids (read as BIGINT) and a timestamptz event_time. Nothing
    can be built or proposed; each variant's index says why, in at most 80 columns."""
    dsn, mapping = _shop(pg_fresh_dsn, tmp_path, "INTEGER", "TIMESTAMPTZ")
    before = snapshot(dsn)
    r, doc = _bench(dsn, mapping, tmp_path / "bench", "--allow-ddl")
    assert snapshot(dsn) == before
    ids = "user_id: integer read as bigint"
    ts = "event_time: timestamptz read as timestamp"
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("ducky: ")]
    assert lines == [
        f"ducky: wau/optimized: not built ({ids})",
        f"ducky: wau/optimized: not built ({ts})",
        f"ducky: revenue/optimized: not built ({ids})",
        f"ducky: cohort/optimized: not built ({ts})",
    ]
    assert all(len(ln) <= 80 for ln in lines)
    # latest.json has the same reasons, in full.
    for query, short in (("wau", ids), ("revenue", ids), ("cohort", ts)):
        stages = _index_stages(doc, query, "optimized")
        assert stages and all(d["skipped"].endswith("cannot serve the query") for d in stages)
        assert short in [d["not_built"] for d in stages]
    (cohort,) = _index_stages(doc, "cohort", "optimized")
    assert cohort["skipped"] == (
        f"events.timestamp is converted by the mapping ({ts}): an index on the source column "
        "cannot serve the query"
    )


def test_a_long_reason_is_cut_to_80_columns() -> None:
    from ducky.bench.results import BenchResults, Record, Stage
    from ducky.cli.bench_cmd import not_built_lines

    def record(variant: str, **detail: Any) -> Record:
        stages = [Stage("connect", 0.0), Stage("index", 0.0, detail)]
        return Record("postgres", "revenue", variant, [1.0], 1.0, 1.0, 1.0, 1, True, None,
                      stages, 0.0, None, None, "")  # fmt: skip

    long = "no privilege on a_rather_long_schema_name.a_rather_long_table_name: must be owner"
    results = BenchResults(
        "", "", {}, {}, 1, {}, {},
        [
            record("baseline"),
            record("optimized", skipped="not built: needs --allow-ddl"),  # printed with its DDL
            record("optimized", skipped=f"not built ({long})", not_built=long),
        ],
    )  # fmt: skip
    (line,) = not_built_lines(results)
    assert len(line) == 80 and line.endswith("…")
    assert line.startswith("ducky: revenue/optimized: not built (no privilege on a_rather_")


@pytest.mark.parametrize(
    ("typ", "expr"),
    [
        ("timestamp with time zone", "(\"at\" AT TIME ZONE 'UTC')"),
        ("timestamp(3) with time zone", "(\"at\" AT TIME ZONE 'UTC')"),
        ("timestamp(3) without time zone", 'CAST("at" AS TIMESTAMP)'),
        ("date", 'CAST("at" AS TIMESTAMP)'),
        ("text", None),
    ],
)
def test_the_week_column_is_proposed_only_with_an_immutable_expression(
    typ: str, expr: str | None
) -> None:
    """Without a server: the stored week's expression for each type of the shop's timestamp
    column (the view casts all of these); text has no immutable one, so nothing is proposed
    and the record says why."""
    from ducky.engines.postgres.source import PgSource, rewrite_index

    src = PgSource("postgresql://u@localhost/db")
    src.plain["events"] = {"user_id": "timestamp"}  # a shop column named like another one
    src.sources["events"] = {"user_id": ("timestamp", "bigint"), "timestamp": ("at", typ)}
    src.wheres["events"] = "s.ev"
    week = "CREATE INDEX IF NOT EXISTS ducky_opt_events_week_user ON events (ducky_week, user_id)"
    ddl, name, proposal = rewrite_index(week, src, {"events": "s.ev"})
    assert ddl is None
    if expr is None:
        assert name is None and proposal == (
            "not proposed: the stored column ducky_week needs an immutable timestamp: "
            "at: text read as timestamp"
        )
        return
    assert name == "ducky_opt_events_week_user"
    assert proposal == (
        'ALTER TABLE "s"."ev" ADD COLUMN "ducky_week" DATE GENERATED ALWAYS AS '
        f"(CAST(DATE_TRUNC('week', {expr}) AS DATE)) STORED; "
        'CREATE INDEX CONCURRENTLY "ducky_opt_events_week_user" ON "s"."ev" '
        '(ducky_week, "timestamp")'
    )
