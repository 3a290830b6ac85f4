"""`ducky pg remove` takes ducky's own marked schema out of a database, and nothing else.

Each test loads the hand-made data directory into a fresh database on the session's server
through the real CLI (and builds a rollup: tables, trigger functions, triggers on ducky's
tables), puts a user's own objects next to it, and fingerprints the user's objects (every
relation outside ducky's schema with its columns, definitions and rows, the functions,
constraints and triggers) before and after. A remove with --yes leaves no trace of ducky and
the user's objects exactly as they were; a user's object depending on one of ducky's (a view on
`ducky.events`, a trigger on the user's table calling ducky's function) makes it refuse in one
line, exit 2, changing nothing; so does a schema named `ducky` that ducky did not create, and a
run without --yes that cannot ask.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests import handmade
from tests.cli_support import Result, run_cli
from tests.engines.postgres.test_pg_dependents import user_state
from tests.engines.postgres.test_pg_safety import snapshot

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

# The user's own objects: a `public.events` of their own (other columns than ducky's), a view
# and an index on it, a function, and a schema of theirs with a table and its rows.
USER_OBJECTS = """
CREATE TABLE public.events (id serial PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL);
INSERT INTO public.events (kind, at) SELECT 'click', now() - g * interval '1 hour'
    FROM generate_series(1, 25) g;
CREATE INDEX events_at ON public.events (at);
CREATE VIEW public.recent_clicks AS SELECT id, at FROM public.events WHERE kind = 'click';
CREATE FUNCTION public.n_clicks() RETURNS bigint LANGUAGE sql
    AS 'SELECT count(*) FROM public.events';
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id int PRIMARY KEY, total numeric(10, 2));
INSERT INTO shop.orders SELECT g, g * 1.5 FROM generate_series(1, 40) g;
"""


def cli(*args: str, env: dict[str, str] | None = None, stdin: Any = subprocess.DEVNULL) -> Result:
    """`python -m ducky ARGS` with stdin not a terminal (run_cli passes the test runner's own
    stdin on by default, a terminal when run by hand)."""
    return run_cli(*args, env=env, stdin=stdin)


def duckys_objects(dsn: str, schema: str = "ducky") -> dict[str, Any]:
    """Everything in ducky's schema: relations (kind, oid, rows), functions, triggers, marker."""
    with psycopg.connect(dsn, autocommit=True) as c:
        rels = c.execute(
            "SELECT c.relname, c.relkind, c.oid FROM pg_class c "
            "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) "
            "ORDER BY 1",
            (schema,),
        ).fetchall()
        rows = {
            name: c.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()
            for name, kind, _ in rels
            if kind == "r"
        }
        funcs = c.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = %s ORDER BY 1",
            (schema,),
        ).fetchall()
        triggers = c.execute(
            "SELECT tgrelid::regclass::text, tgname, tgfoid::regprocedure::text FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1, 2"
        ).fetchall()
        marker = c.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            (schema,),
        ).fetchall()
    return {"relations": rels, "rows": rows, "functions": funcs, "triggers": triggers,
            "marker": marker}  # fmt: skip


def everything(dsn: str, schema: str = "ducky") -> dict[str, Any]:
    return {"user": user_state(dsn), "ducky": duckys_objects(dsn, schema)}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return handmade.write_datadir(tmp_path / "data")


def _load_and_rollup(data: Path, dsn: str, env: dict[str, str] | None = None) -> None:
    r = cli("--data", str(data), "load", "-e", "postgres", "--dsn", dsn, "--no-progress", env=env)
    assert r.code == 0, r.stderr
    r = cli("--data", str(data), "rollup", "build", "wau", "-e", "postgres", "--dsn", dsn, env=env)
    assert r.code == 0, r.stderr


@pytest.fixture
def loaded(pg_fresh_dsn: Callable[[], str], data: Path) -> str:
    """A database holding the user's objects, then ducky's load of the hand-made data and
    its wau rollup (tables, trigger functions, triggers on ducky.events)."""
    dsn = pg_fresh_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(USER_OBJECTS)
    _load_and_rollup(data, dsn)
    ours = duckys_objects(dsn)
    assert ours["rows"]["events"] == (len(handmade.EVENTS),)
    assert any(t[0] == "ducky.events" for t in ours["triggers"]), ours["triggers"]
    assert ours["functions"] and ours["marker"][0][0].startswith("created by ducky")
    return dsn


def _remove(data: Path, dsn: str, *extra: str, **kw: Any) -> Result:
    return cli("--data", str(data), "pg", "remove", "--dsn", dsn, *extra, **kw)


def _password(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(dsn)["password"])


def test_remove_takes_duckys_schema_and_leaves_the_users_objects(loaded: str, data: Path) -> None:
    before = user_state(loaded)
    assert before["public.events"]["rows"] == (25,) and before["shop.orders"]["rows"] == (40,)
    with psycopg.connect(loaded, autocommit=True) as c:
        n_clicks = c.execute("SELECT public.n_clicks()").fetchone()

    r = _remove(data, loaded, "--yes")

    assert r.code == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout
    assert lines[0].startswith('removed schema "ducky" from postgres@'), r.stdout
    assert "tables" in lines[0] and "2 triggers" in lines[0] and "functions" in lines[0]
    assert _password(loaded) not in r.stdout + r.stderr
    # No trace of ducky: no schema, no relation, function or trigger of its anywhere.
    gone = duckys_objects(loaded)
    assert gone["relations"] == [] and gone["functions"] == [] and gone["marker"] == []
    assert gone["triggers"] == []
    with psycopg.connect(loaded, autocommit=True) as c:
        left = c.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'ducky\\_%%'").fetchone()
        assert left == (0,)
        assert c.execute("SELECT public.n_clicks()").fetchone() == n_clicks
    # The user's objects exactly as they were: tables, view, index, function, rows.
    assert user_state(loaded) == before
    # Nothing left to remove the second time.
    r = _remove(data, loaded, "--yes")
    assert r.code == 0 and r.stdout.strip().startswith('nothing to remove: no schema "ducky"')


def test_remove_another_schema_with_json(loaded: str, data: Path) -> None:
    """`-o schema=NAME` removes that one of ducky's schemas, not the default one; --json
    gives the summary and the statements, each without CASCADE."""
    users, ours = user_state(loaded), duckys_objects(loaded)
    _load_and_rollup(data, loaded, env={"DUCKY_PG_SCHEMA": "ducky_b"})
    with psycopg.connect(loaded, autocommit=True) as c:
        size = c.execute(
            "SELECT sum(pg_total_relation_size(oid)) FROM pg_class "
            "WHERE relnamespace = 'ducky_b'::regnamespace AND relkind IN ('r', 'm', 'S')"
        ).fetchone()

    r = _remove(data, loaded, "-o", "schema=ducky_b", "--yes", "--json")

    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "ducky_b" and doc["removed"] is True and doc["existed"] is True
    assert doc["target"].startswith("postgres@127.0.0.1:") and _password(loaded) not in r.stdout
    assert doc["marker"].startswith("created by ducky")
    assert doc["objects"]["tables"] >= 4 and doc["objects"]["triggers"] == 2
    assert doc["objects"]["functions"] >= 2 and doc["objects"]["indexes"] >= 1
    assert size is not None and doc["bytes"] == size[0]
    statements = doc["statements"]
    assert statements[-1] == 'DROP SCHEMA "ducky_b" RESTRICT'
    assert all("CASCADE" not in s and s.endswith(" RESTRICT") for s in statements)
    assert any(s.startswith("DROP TABLE ") and "ducky_b.events" in s for s in statements)
    assert duckys_objects(loaded, "ducky_b")["relations"] == []
    # The default schema and the user's objects are untouched.
    assert duckys_objects(loaded) == ours
    assert user_state(loaded) == users


def test_a_users_view_on_duckys_events_makes_remove_refuse(loaded: str, data: Path) -> None:
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute("CREATE VIEW public.ev_by_user AS SELECT user_id, event_type FROM ducky.events")
        c.execute(
            "CREATE TABLE shop.loyalty (user_id bigint REFERENCES ducky.users (user_id)); "
            "INSERT INTO shop.loyalty VALUES (1), (2)"
        )
    before = everything(loaded)

    r = _remove(data, loaded, "--yes")

    assert r.code == 2, r.stdout + r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    line = lines[0]
    assert line.startswith("error: postgres: ")
    assert "public.ev_by_user (not created by ducky) depends on ducky.events" in line
    assert "constraint loyalty_user_id_fkey on table shop.loyalty (not created by ducky)" in line
    assert "depends on ducky.users" in line
    assert line.endswith(
        'refusing to remove schema "ducky" (nothing changed); drop or move them yourself first'
    )
    assert everything(loaded) == before


def test_a_trigger_on_a_users_table_calling_duckys_function_is_refused(
    loaded: str, data: Path
) -> None:
    """A trigger on the user's own table is never ducky's to drop, even one that calls a
    function in ducky's schema: the remove refuses and names it."""
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(
            "CREATE TRIGGER mark AFTER INSERT ON shop.orders FOR EACH STATEMENT "
            "EXECUTE FUNCTION ducky.ducky_rollup_mark_stale()"
        )
    before = everything(loaded)
    r = _remove(data, loaded, "--yes")
    assert r.code == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert (
        "trigger mark on table shop.orders (not created by ducky) depends on "
        "ducky.ducky_rollup_mark_stale()" in r.stderr
    )
    assert everything(loaded) == before


def test_an_unmarked_schema_named_ducky_is_refused(
    pg_fresh_dsn: Callable[[], str], data: Path
) -> None:
    dsn = pg_fresh_dsn()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(USER_OBJECTS)
        c.execute(
            "CREATE SCHEMA ducky; CREATE TABLE ducky.events (id int, note text); "
            "INSERT INTO ducky.events VALUES (1, 'mine'), (2, 'also mine'); "
            "COMMENT ON SCHEMA ducky IS 'the team''s ducky'"
        )
    before = snapshot(dsn, exclude="none")
    funcs = user_state(dsn)["functions"]

    r = _remove(data, dsn, "--yes")

    assert r.code == 2, r.stdout + r.stderr
    assert r.stderr.strip().splitlines() == [
        'error: postgres: schema "ducky" exists and was not created by ducky (no ownership '
        "marker): refusing to remove it"
    ]
    # `public` (and system schemas) are never candidates, whatever they hold.
    for name in ("public", "pg_catalog", "information_schema"):
        r = _remove(data, dsn, "-o", f"schema={name}", "--yes")
        assert r.code == 2, r.stdout + r.stderr
        assert r.stderr.strip().splitlines() == [
            f'error: postgres: schema "{name}" is never ducky\'s (the public or a system '
            "schema): refusing to remove it"
        ]
    r = _remove(data, dsn, "--yes", env={"DUCKY_PG_SCHEMA": "public"})
    assert r.code == 2 and "refusing to remove it" in r.stderr, r.stderr
    assert snapshot(dsn, exclude="none") == before
    assert user_state(dsn)["functions"] == funcs
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM ducky.events").fetchone() == (2,)


def test_without_yes_and_no_terminal_it_refuses(loaded: str, data: Path) -> None:
    before = everything(loaded)
    r = _remove(data, loaded)
    assert r.code == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith('error: schema "ducky" on postgres@127.0.0.1:')
    assert "tables" in lines[0] and "2 triggers" in lines[0]
    assert lines[0].endswith("pass --yes to remove it (not asking: not a terminal)")
    assert _password(loaded) not in r.stdout + r.stderr
    assert everything(loaded) == before
    r = _remove(data, loaded, "--json")
    assert r.code == 2 and "pass --yes" in r.stderr and r.stdout == ""
    assert everything(loaded) == before


def _on_a_terminal(args: list[str], answer: str) -> Result:
    """Run `python -m ducky ARGS` with stdin a terminal (a pty) that types `answer`."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        env = {k: v for k, v in os.environ.items() if k != "DUCKY_DATA"}
        p = subprocess.run(
            [sys.executable, "-m", "ducky", *args],
            stdin=slave,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
    finally:
        os.close(slave)
        os.close(master)
    return Result(p.returncode, p.stdout, p.stderr)


def test_on_a_terminal_it_shows_what_goes_and_asks(loaded: str, data: Path) -> None:
    before = everything(loaded)
    args = ["--data", str(data), "pg", "remove", "--dsn", loaded]
    r = _on_a_terminal(args, "n\n")
    assert r.code == 1, r.stdout + r.stderr
    assert 'schema "ducky" on postgres@127.0.0.1:' in r.stderr
    assert "tables" in r.stderr and "2 triggers" in r.stderr and "kB" in r.stderr
    assert 'Remove schema "ducky" and everything in it? [y/N]' in r.stderr
    assert "error: nothing removed (not confirmed)" in r.stderr
    assert _password(loaded) not in r.stdout + r.stderr
    assert everything(loaded) == before

    r = _on_a_terminal(args, "y\n")
    assert r.code == 0, r.stdout + r.stderr
    assert r.stdout.startswith('removed schema "ducky" from postgres@')
    assert duckys_objects(loaded)["relations"] == []
    assert user_state(loaded) == before["user"]


def test_postgres_itself_refuses_what_the_check_missed(
    loaded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second safety net: with the dependency check blinded, the RESTRICT drops make
    PostgreSQL refuse the user's view on ducky.events, and the transaction rolls back."""
    from ducky.cli import pg_cmd
    from ducky.engines.postgres import ownership

    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute("CREATE VIEW public.ev AS SELECT * FROM ducky.events")
    before = everything(loaded)
    real = ownership.remove_plan

    def blind(fetch: Any, schema: str) -> Any:
        plan = real(fetch, schema)
        plan.foreign = []
        return plan

    monkeypatch.setattr(ownership, "remove_plan", blind)
    with pytest.raises(ownership.NotOurs, match="because other objects depend on") as e:
        pg_cmd._remove(loaded, "ducky")
    assert "(view public.ev depends on table ducky.events" in str(e.value)
    assert str(e.value).endswith('refusing to remove schema "ducky" (nothing changed)')
    assert "\n" not in str(e.value)
    assert everything(loaded) == before


def test_duckys_own_objects_in_cycles_still_go_and_only_they(loaded: str, data: Path) -> None:
    """Objects inside ducky's schema that depend on one another in a cycle: two tables with
    foreign keys on each other are dropped in one statement (still RESTRICT); a table whose
    default calls a function that reads the table (a cycle across kinds) leaves only DROP
    SCHEMA ... CASCADE, run after the check in the same transaction: the user's objects stay."""
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(
            "CREATE TABLE ducky.a (id int PRIMARY KEY, b int); "
            "CREATE TABLE ducky.b (id int PRIMARY KEY, a int REFERENCES ducky.a); "
            "ALTER TABLE ducky.a ADD FOREIGN KEY (b) REFERENCES ducky.b; "
            "CREATE VIEW ducky.v AS SELECT a.id FROM ducky.a JOIN ducky.b USING (id)"
        )
    before = user_state(loaded)
    r = _remove(data, loaded, "--yes", "--json")
    assert r.code == 0, r.stderr
    statements = json.loads(r.stdout)["statements"]
    assert "CASCADE" not in " ".join(statements)
    view = statements.index("DROP VIEW ducky.v RESTRICT")
    tables = next(i for i, s in enumerate(statements) if "ducky.a, ducky.b" in s)
    assert view < tables and statements[tables].startswith("DROP TABLE ")
    assert duckys_objects(loaded)["relations"] == [] and user_state(loaded) == before

    _load_and_rollup(data, loaded)
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(
            "CREATE TABLE ducky.c (id int); "
            "CREATE FUNCTION ducky.next_c() RETURNS int BEGIN ATOMIC "
            "SELECT COALESCE(max(id), 0) + 1 FROM ducky.c; END; "
            "ALTER TABLE ducky.c ALTER id SET DEFAULT ducky.next_c()"
        )
    r = _remove(data, loaded, "--yes", "--json")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["statements"] == ['DROP SCHEMA "ducky" CASCADE']
    assert duckys_objects(loaded)["relations"] == [] and user_state(loaded) == before
    # ... but not when something outside depends on it: checked first, nothing changes.
    _load_and_rollup(data, loaded)
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(
            "CREATE TABLE ducky.c (id int); "
            "CREATE FUNCTION ducky.next_c() RETURNS int BEGIN ATOMIC "
            "SELECT COALESCE(max(id), 0) + 1 FROM ducky.c; END; "
            "ALTER TABLE ducky.c ALTER id SET DEFAULT ducky.next_c(); "
            "CREATE VIEW shop.next AS SELECT ducky.next_c() AS n"
        )
    before_all = everything(loaded)
    r = _remove(data, loaded, "--yes")
    assert r.code == 2 and "shop.next (not created by ducky) depends on ducky.next_c()" in r.stderr
    assert everything(loaded) == before_all


def test_the_local_server_is_the_default(data: Path) -> None:
    """Without --dsn (and DUCKY_PG_DSN) the database is the data directory's local server:
    none there, nothing to remove (and none created); after a load, its schema goes."""
    from ducky.engines.postgres.server import local_server_for

    r = cli("--data", str(data), "pg", "remove", "--yes")
    assert r.code == 0, r.stderr
    assert r.stdout.strip().startswith("nothing to remove: no local PostgreSQL server in ")
    assert not (data / ".ducky" / "pg").exists()
    server = local_server_for(data / ".ducky")
    try:
        r = cli("--data", str(data), "load", "-e", "postgres", "--no-progress")
        assert r.code == 0, r.stderr
        r = cli("--data", str(data), "--json", "pg", "remove", "--yes")
        assert r.code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["removed"] is True and doc["objects"]["tables"] >= 3
        with psycopg.connect(server.dsn(), autocommit=True) as c:
            assert c.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'ducky'"
            ).fetchone() == (0,)
    finally:
        server.stop()
    assert server.leftover_processes() == []
