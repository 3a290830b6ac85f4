"""ducky never drops, replaces or alters a PostgreSQL object it did not create.

Each test starts from a database that holds a user's own `events` table (other columns than
ducky's), a view on it, an index and rows, then runs one ducky command that writes to
PostgreSQL (load, rollup build, bench, ingest --to-postgres) against it through the real CLI.
The user's objects (tables, views with their definitions, indexes with theirs, row counts) are
compared before and after, and ducky's data is found in its own marked schema.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests import handmade
from tests.cli_support import run_cli

pytestmark = pytest.mark.postgres

USER_OBJECTS = """
CREATE TABLE events (id serial PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL);
INSERT INTO events (kind, at) SELECT 'click', now() - g * interval '1 hour'
    FROM generate_series(1, 25) g;
CREATE INDEX events_at ON events (at);
CREATE VIEW recent_clicks AS SELECT id, at FROM events WHERE kind = 'click';
CREATE TABLE users (email text PRIMARY KEY);
INSERT INTO users VALUES ('a@shop.test'), ('b@shop.test');
"""


def snapshot(dsn: str, exclude: str = "ducky") -> dict[str, Any]:
    """Every relation outside the system schemas and ducky's: kind, definition, rows."""
    out: dict[str, Any] = {}
    with psycopg.connect(dsn, autocommit=True) as c:
        rels = c.execute(
            "SELECT n.nspname, c.relname, c.relkind, c.oid FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
            "AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname NOT LIKE 'pg_toast_temp%%' "
            "AND n.nspname <> %s ORDER BY 1, 2",
            (exclude,),
        ).fetchall()
        for schema, name, kind, oid in rels:
            key = f"{schema}.{name}"
            entry: dict[str, Any] = {"kind": kind, "oid": oid}
            if kind in ("r", "v", "m"):
                entry["rows"] = c.execute(f'SELECT COUNT(*) FROM "{schema}"."{name}"').fetchone()
                entry["columns"] = c.execute(
                    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    (oid,),
                ).fetchall()
            if kind in ("v", "m"):
                entry["def"] = c.execute("SELECT pg_get_viewdef(%s)", (oid,)).fetchone()
            if kind == "i":
                entry["def"] = c.execute("SELECT pg_get_indexdef(%s)", (oid,)).fetchone()
            out[key] = entry
        out["triggers"] = c.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT tgisinternal AND n.nspname <> %s ORDER BY 1, 2",
            (exclude,),
        ).fetchall()
    return out


@pytest.fixture
def user_db(pg_fresh_dsn: Callable[[], str]) -> str:
    dsn = pg_fresh_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(USER_OBJECTS)
    return dsn


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return handmade.write_datadir(tmp_path / "data")


def _ducky_events(dsn: str, schema: str = "ducky") -> int:
    with psycopg.connect(dsn, autocommit=True) as c:
        comment = c.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            (schema,),
        ).fetchone()
        assert comment is not None and str(comment[0]).startswith("created by ducky")
        row = c.execute(f'SELECT COUNT(*) FROM "{schema}".events').fetchone()
    assert row is not None
    return int(row[0])


def _users_view_intact(before: dict[str, Any], dsn: str) -> None:
    after = snapshot(dsn)
    assert after == before
    assert before["public.events"]["rows"] == (25,)
    assert before["public.recent_clicks"]["kind"] == "v"


def test_load_keeps_the_users_tables_and_view(user_db: str, data: Path) -> None:
    before = snapshot(user_db)
    for _ in range(2):  # the second load replaces ducky's own tables, still nothing else
        r = run_cli(
            "--data", str(data), "load", "-e", "postgres", "--dsn", user_db, "--no-progress"
        )
        assert r.code == 0, r.stderr
    _users_view_intact(before, user_db)
    assert _ducky_events(user_db) == len(handmade.EVENTS)


def test_query_on_postgres_reads_duckys_schema(user_db: str, data: Path) -> None:
    before = snapshot(user_db)
    r = run_cli("--data", str(data), "query", "wau", "-e", "postgres", "-o", f"dsn={user_db}")
    assert r.code == 0, r.stderr
    _users_view_intact(before, user_db)
    assert _ducky_events(user_db) == len(handmade.EVENTS)


def test_rollup_build_keeps_the_users_objects(user_db: str, data: Path) -> None:
    before = snapshot(user_db)
    r = run_cli(
        "--data", str(data), "rollup", "build", "wau", "cohort", "-e", "postgres", "--dsn", user_db
    )
    assert r.code == 0, r.stderr
    _users_view_intact(before, user_db)
    with psycopg.connect(user_db, autocommit=True) as c:
        # The rollup's triggers sit on ducky's events, and fire from a session whose
        # search_path is the user's: the functions are pinned to ducky's schema.
        c.execute(
            'INSERT INTO ducky.events (user_id, event_type, product_id, "timestamp") '
            "VALUES (1, 'login', NULL, '2025-03-18 09:00')"
        )
        rows = c.execute("SELECT COUNT(*) FROM ducky.rollup_user_week").fetchone()
        state = c.execute("SELECT status FROM ducky.ducky_rollup_state ORDER BY query").fetchall()
    assert rows is not None and rows[0] > 0
    assert state == [("fresh",), ("fresh",)]
    assert snapshot(user_db) == before


def test_bench_keeps_the_users_objects(user_db: str, data: Path, tmp_path: Path) -> None:
    before = snapshot(user_db)
    r = run_cli(
        "--data", str(data), "bench", "-e", "postgres", "-n", "1", "--out", str(tmp_path / "b"),
        env={"DUCKY_PG_DSN": user_db},
    )  # fmt: skip
    assert r.code == 0, r.stderr
    _users_view_intact(before, user_db)
    assert _ducky_events(user_db) == len(handmade.EVENTS)


def test_ingest_to_postgres_keeps_the_users_objects(
    user_db: str, data: Path, tmp_path: Path
) -> None:
    import duckdb

    before = snapshot(user_db)
    src = {}
    for t in ("users", "products", "events"):  # single files, as a shop's export would be
        src[t] = str(tmp_path / f"{t}.parquet")
        files = f"{data}/events/**/*.parquet" if t == "events" else f"{data}/{t}.parquet"
        duckdb.sql(
            f"COPY (SELECT * FROM read_parquet('{files}', hive_partitioning = false)) TO '{src[t]}'"
        )
    out = tmp_path / "ingested"
    r = run_cli(
        "--data", str(out), "ingest", "--events", src["events"], "--users", src["users"],
        "--products", src["products"], "--to-postgres", "--dsn", user_db,
    )  # fmt: skip
    assert r.code == 0, r.stderr
    _users_view_intact(before, user_db)
    assert _ducky_events(user_db) == len(handmade.EVENTS)


def test_a_foreign_schema_named_ducky_is_refused(user_db: str, data: Path) -> None:
    with psycopg.connect(user_db, autocommit=True) as c:
        c.execute(
            "CREATE SCHEMA ducky; CREATE TABLE ducky.events (x int); "
            "INSERT INTO ducky.events VALUES (7)"
        )
    before = snapshot(user_db, exclude="-")
    r = run_cli("--data", str(data), "load", "-e", "postgres", "--dsn", user_db, "--no-progress")
    assert r.code == 2
    assert r.stderr.strip().splitlines() == [
        'error: postgres: schema "ducky" exists and was not created by ducky (no ownership '
        "marker): refusing to write into it; choose another with -o schema=NAME or "
        "DUCKY_PG_SCHEMA"
    ]
    for cmd in (["rollup", "build", "wau", "-e", "postgres", "--dsn", user_db],
                ["query", "wau", "-e", "postgres", "-o", f"dsn={user_db}"]):  # fmt: skip
        r = run_cli("--data", str(data), *cmd)
        assert r.code == 2 and 'schema "ducky" exists and was not created by ducky' in r.stderr
    assert snapshot(user_db, exclude="-") == before
    # Another schema name works, and leaves the foreign `ducky` schema alone.
    r = run_cli(
        "--data", str(data), "load", "-e", "postgres", "--dsn", user_db, "--no-progress",
        env={"DUCKY_PG_SCHEMA": "ducky_shop"},
    )  # fmt: skip
    assert r.code == 0, r.stderr
    assert _ducky_events(user_db, "ducky_shop") == len(handmade.EVENTS)
    after = snapshot(user_db, exclude="ducky_shop")
    assert {k: v for k, v in after.items()} == before


def test_public_is_never_ducky_schema(user_db: str, data: Path) -> None:
    r = run_cli(
        "--data",
        str(data),
        "load",
        "-e",
        "postgres",
        "--dsn",
        user_db,
        env={"DUCKY_PG_SCHEMA": "public"},
    )
    assert r.code == 2 and "schema 'public' is not ducky's to write into" in r.stderr


def test_a_users_view_on_duckys_table_is_not_dropped(user_db: str, data: Path) -> None:
    r = run_cli("--data", str(data), "load", "-e", "postgres", "--dsn", user_db, "--no-progress")
    assert r.code == 0, r.stderr
    with psycopg.connect(user_db, autocommit=True) as c:
        c.execute("CREATE VIEW public.my_wau AS SELECT user_id FROM ducky.events")
    before = snapshot(user_db)
    r = run_cli("--data", str(data), "load", "-e", "postgres", "--dsn", user_db, "--no-progress")
    assert r.code == 2
    assert "public.my_wau" in r.stderr or "my_wau" in r.stderr
    assert "refusing to replace" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert snapshot(user_db) == before
    assert _ducky_events(user_db) == len(handmade.EVENTS)


def test_dsn_password_never_printed(data: Path) -> None:
    secret = "s3cr3t-pw"
    dsn = f"postgresql://someone:{secret}@127.0.0.1:1/shop"
    for cmd in (
        ["load", "-e", "postgres", "--dsn", dsn],
        ["query", "wau", "-e", "postgres", "-o", f"dsn={dsn}"],
    ):
        r = run_cli("--data", str(data), *cmd)
        assert r.code != 0 and secret not in r.stderr + r.stdout
        assert len(r.stderr.strip().splitlines()) == 1


def test_a_started_server_is_announced_and_stopped_on_request(data: Path) -> None:
    from ducky.engines.postgres.server import local_server_for

    server = local_server_for(data / ".ducky")
    try:
        r = run_cli("--data", str(data), "--stop-server", "query", "wau", "-e", "postgres")
        assert r.code == 0, r.stderr
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("ducky: ")]
        assert len(lines) == 2, r.stderr
        assert lines[0].startswith("ducky: started a local PostgreSQL server (")
        assert lines[0].endswith("it stops when this command ends (--stop-server)")
        assert lines[1].startswith("ducky: stopped the local PostgreSQL server (")
        assert server.postmaster_pid() is None and server.leftover_processes() == []
        # Without the flag it is left running, and the line says how to stop it.
        r = run_cli("--data", str(data), "query", "wau", "-e", "postgres")
        assert r.code == 0, r.stderr
        assert f"stop it with `ducky --data {data} pg stop`" in r.stderr
        announced = _announced_stop(r)
        assert announced is not None
        assert server.postmaster_pid() is not None
        r = run_cli("--data", str(data), "query", "wau", "-e", "postgres")
        assert r.code == 0 and "started" not in r.stderr  # already running: nothing to announce
        # The way the line gives is the way it stops: run exactly that command.
        stopped = run_cli(*_announced_stop_args(announced, "pg stop"))
        assert stopped.code == 0 and stopped.stdout.strip() == "stopped", stopped.stderr
        assert server.postmaster_pid() is None and server.leftover_processes() == []
    finally:
        server.stop()
    assert server.leftover_processes() == []


def _announced_stop(r: Any) -> str | None:
    """The command in backticks of a `ducky: started ...; stop it with `...`` line, if any."""
    import re

    m = re.search(r"stop it with `([^`]+)`", r.stderr)
    return m.group(1) if m else None


def _announced_stop_args(line: str, tail: str) -> list[str]:
    """`ducky --data D pg stop` from an announcement -> run_cli's arguments (no `ducky`)."""
    import shlex

    words = shlex.split(line)
    assert words[0] == "ducky" and " ".join(words[-len(tail.split()) :]) == tail, line
    return words[1:]


def test_pg_start_and_dsn_announce_a_start_and_stop_as_announced(data: Path) -> None:
    """`ducky pg dsn` (used as `$(ducky pg dsn)`) and `ducky pg start` start the server too:
    the announcement goes to stderr, stdout stays the DSN / the status."""
    from ducky.engines.postgres.server import local_server_for

    server = local_server_for(data / ".ducky")
    try:
        r = run_cli("--data", str(data), "pg", "dsn")
        assert r.code == 0, r.stderr
        assert r.stdout.strip().startswith("postgresql://") and len(r.stdout.splitlines()) == 1
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("ducky: started")]
        assert len(lines) == 1 and lines[0].startswith("ducky: started a local PostgreSQL")
        password = r.stdout.strip().split(":")[2].split("@")[0]
        assert password and password not in r.stderr  # the line names the server, no secret
        stop = _announced_stop(r)
        assert stop == f"ducky --data {data} pg stop"
        r = run_cli("--data", str(data), "pg", "dsn")
        assert r.code == 0 and "started" not in r.stderr  # running already: no line
        assert run_cli(*_announced_stop_args(stop, "pg stop")).code == 0
        assert server.postmaster_pid() is None
        r = run_cli("--data", str(data), "pg", "start")
        assert r.code == 0 and r.stdout.startswith("running: pid "), r.stderr
        assert _announced_stop(r) == stop
    finally:
        server.stop()
    assert server.postmaster_pid() is None and server.leftover_processes() == []


def test_schema_engine_option(user_db: str, data: Path) -> None:
    before = snapshot(user_db, exclude="shop_a")
    r = run_cli(
        "--data", str(data), "--json", "query", "wau", "-e", "postgres",
        "-o", f"dsn={user_db}", "-o", "schema=shop_a",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    assert _ducky_events(user_db, "shop_a") == len(handmade.EVENTS)
    assert snapshot(user_db, exclude="shop_a") == before  # no `ducky` schema either
