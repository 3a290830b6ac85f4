"""`ducky load` never drops, alters or cascades into an object outside ducky's schema.

A reload replaces ducky's own tables. Anything of the user's that depends on one of them (not
only a view: a foreign key to `ducky.users`, a function with an SQL-standard body reading
`ducky.events`, a column of the composite type `ducky.products`, a policy, an inheriting
table, ...) is found through pg_depend and refused in one line, exit 2, before anything
changes; the tables are dropped without CASCADE, so PostgreSQL itself refuses anything the
check could miss. A role that may not use ducky's schema is refused in one line instead of
loading into pg_temp, and `rollup drop` of the last rollup leaves no state table or helper
function behind. Each test runs the real CLI (or the loader) against the session's server and
compares the user's objects before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ducky.datasets import DataDir
from ducky.engines.postgres.loader import load_datadir
from tests import handmade
from tests.cli_support import run_cli
from tests.engines.postgres.test_pg_safety import snapshot

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

# The tester's objects, outside ducky's schema, on ducky's tables and row type.
USER_OBJECTS = """
CREATE SCHEMA reporting;
CREATE TABLE reporting.loyalty (user_id bigint REFERENCES ducky.users (user_id), points int);
INSERT INTO reporting.loyalty VALUES (1, 10), (2, 20);
CREATE FUNCTION reporting.n_events() RETURNS bigint
    BEGIN ATOMIC SELECT count(*) FROM ducky.events; END;
CREATE TABLE reporting.snap (id int PRIMARY KEY, e ducky.products);
INSERT INTO reporting.snap SELECT row_number() OVER (ORDER BY product_id), p
    FROM ducky.products p;
CREATE VIEW reporting.mv_ev AS SELECT user_id, event_type FROM ducky.events;
CREATE MATERIALIZED VIEW reporting.n_products AS SELECT count(*) AS n FROM ducky.products;
"""


def _load(data: Path, dsn: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    return run_cli(
        "--data", str(data), "load", "-e", "postgres", "--dsn", dsn, "--no-progress", *extra,
        env=env,
    )  # fmt: skip


def user_state(dsn: str) -> dict[str, Any]:
    """Every relation outside ducky's schema (test_pg_safety.snapshot), plus the definitions
    of the user's functions and constraints and the rows of the user's tables as text."""
    out = snapshot(dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        out["functions"] = c.execute(
            "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname NOT IN ('ducky', 'pg_catalog', 'information_schema') ORDER BY 1"
        ).fetchall()
        out["constraints"] = c.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(co.oid) "
            "FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace "
            "WHERE n.nspname NOT IN ('ducky', 'pg_catalog', 'information_schema') ORDER BY 1, 2"
        ).fetchall()
        out["policies"] = c.execute(
            "SELECT schemaname, tablename, policyname, qual FROM pg_policies "
            "WHERE schemaname <> 'ducky' ORDER BY 1, 2, 3"
        ).fetchall()
        rows = {}
        for (rel,) in c.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
            "AND n.nspname NOT IN ('ducky', 'pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_%%' ORDER BY 1"
        ).fetchall():
            rows[rel] = c.execute(f"SELECT t::text FROM {rel} t ORDER BY 1").fetchall()
        out["rows"] = rows
    return out


def _ducky_tables(dsn: str) -> dict[str, Any]:
    """ducky's own tables: oids (a reload replaces them) and row counts."""
    with psycopg.connect(dsn, autocommit=True) as c:
        return {
            t: c.execute(
                f"SELECT 'ducky.{t}'::regclass::oid, (SELECT count(*) FROM ducky.{t})"
            ).fetchone()
            for t in ("users", "products", "events")
        }


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return handmade.write_datadir(tmp_path / "data")


@pytest.fixture
def loaded(pg_fresh_dsn: Callable[[], str], data: Path) -> str:
    """A database where ducky has loaded the hand-made data once."""
    dsn = pg_fresh_dsn()
    r = _load(data, dsn)
    assert r.code == 0, r.stderr
    return dsn


@pytest.mark.parametrize("method", ["binary", "adbc"])
def test_load_refuses_the_users_fk_function_and_composite_column(
    loaded: str, data: Path, method: str
) -> None:
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(USER_OBJECTS)
        n_events = c.execute("SELECT reporting.n_events()").fetchone()
    before, ours = user_state(loaded), _ducky_tables(loaded)
    assert before["rows"]["reporting.snap"] and before["functions"] and before["constraints"]

    r = _load(data, loaded, "--method", method)

    assert r.code == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    line = lines[0]
    assert line.startswith("error: postgres: ") and "refusing to replace the tables" in line
    assert "function reporting.n_events()" in line
    assert "constraint loyalty_user_id_fkey on table reporting.loyalty" in line
    assert "column e of table reporting.snap" in line
    assert "reporting.mv_ev" in line and "reporting.n_products" in line
    for name in ("ducky.users", "ducky.products", "ducky.events"):
        assert f"depends on {name}" in line or f"depend on {name}" in line
    assert "(not created by ducky)" in line
    # Nothing changed: the user's objects, their rows, and ducky's own tables (same oids).
    assert user_state(loaded) == before
    assert _ducky_tables(loaded) == ours
    with psycopg.connect(loaded, autocommit=True) as c:
        assert c.execute("SELECT reporting.n_events()").fetchone() == n_events
        left = c.execute(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'ducky_staging_%'"
        ).fetchone()
    assert left == (0,)


# One user object at a time, outside ducky's schema, each depending on ducky's tables or row
# types in another way: (SQL, words the refusal names it by).
KINDS = [
    (
        "CREATE TABLE reporting.loyalty (user_id bigint REFERENCES ducky.users)",
        "constraint loyalty_user_id_fkey on table reporting.loyalty",
    ),
    (
        "CREATE FUNCTION reporting.n_events() RETURNS bigint "
        "BEGIN ATOMIC SELECT count(*) FROM ducky.events; END",
        "function reporting.n_events()",
    ),
    (
        "CREATE PROCEDURE reporting.touch() BEGIN ATOMIC "
        "DELETE FROM ducky.products WHERE false; END",
        "reporting.touch()",
    ),
    (
        "CREATE TABLE reporting.snap (e ducky.products); "
        "INSERT INTO reporting.snap SELECT p FROM ducky.products p",
        "column e of table reporting.snap",
    ),
    (
        "CREATE TABLE reporting.hist (es ducky.events[]); "
        "INSERT INTO reporting.hist SELECT array_agg(e) FROM ducky.events e",
        "column es of table reporting.hist",
    ),
    (
        "CREATE FUNCTION reporting.label(u ducky.users) RETURNS text LANGUAGE plpgsql "
        "AS 'BEGIN RETURN u.user_id::text; END'",
        "function reporting.label(",
    ),
    ("CREATE DOMAIN reporting.product AS ducky.products", "type reporting.product"),
    (
        "CREATE TABLE reporting.secret (a int); "
        "ALTER TABLE reporting.secret ENABLE ROW LEVEL SECURITY; "
        "CREATE POLICY only_known ON reporting.secret "
        "USING (EXISTS (SELECT 1 FROM ducky.users WHERE user_id = a))",
        "policy only_known on table reporting.secret",
    ),
    (
        "CREATE TABLE reporting.more_events (note text) INHERITS (ducky.events)",
        "table reporting.more_events",
    ),
    (
        "CREATE TABLE reporting.audit (a int); CREATE RULE keep AS ON INSERT TO "
        "reporting.audit DO ALSO DELETE FROM ducky.products WHERE false",
        "rule keep on table reporting.audit",
    ),
    (
        "CREATE STATISTICS reporting.ev_stats ON user_id, event_type FROM ducky.events",
        "statistics object reporting.ev_stats",
    ),
    ("CREATE PUBLICATION ducky_test_pub FOR TABLE ducky.events", "publication ducky_test_pub"),
]


KIND_IDS = [
    "foreign-key", "sql-function", "sql-procedure", "composite-column", "array-column",
    "rowtype-argument", "domain", "policy", "inheriting-table", "rule",
    "statistics", "publication",
]  # fmt: skip


@pytest.mark.parametrize(("ddl", "named"), KINDS, ids=KIND_IDS)
def test_each_kind_of_dependent_is_refused(
    pg_fresh_dsn: Callable[[], str], handmade_dir: Path, ddl: str, named: str
) -> None:
    from ducky.engines.postgres.ownership import NotOurs

    dsn = pg_fresh_dsn()
    load_datadir(DataDir(handmade_dir), dsn=dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE SCHEMA reporting")
        c.execute(ddl)
    before, ours = user_state(dsn), _ducky_tables(dsn)
    try:
        with pytest.raises(NotOurs) as e:
            load_datadir(DataDir(handmade_dir), dsn=dsn)
        msg = str(e.value)
        assert "\n" not in msg and named in msg and "(not created by ducky)" in msg, msg
        assert "refusing to replace" in msg
        assert user_state(dsn) == before
        assert _ducky_tables(dsn) == ours
    finally:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("DROP PUBLICATION IF EXISTS ducky_test_pub")


def test_tables_are_dropped_without_cascade(
    pg_fresh_dsn: Callable[[], str], handmade_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second safety net: with the dependency check blinded, PostgreSQL itself refuses
    to drop ducky.users under the user's foreign key, and the load rolls back."""
    from ducky.engines.postgres import ownership
    from ducky.errors import EngineError

    dsn = pg_fresh_dsn()
    load_datadir(DataDir(handmade_dir), dsn=dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(USER_OBJECTS)
    before, ours = user_state(dsn), _ducky_tables(dsn)
    real = ownership.drop_plan

    def blind(fetch: Any, schema: str, tables: Any) -> Any:
        plan = real(fetch, schema, tables)
        return ownership.DropPlan([], plan.own_drops)

    monkeypatch.setattr(ownership, "drop_plan", blind)
    with pytest.raises(EngineError, match="cannot drop table users because other objects"):
        load_datadir(DataDir(handmade_dir), dsn=dsn, tables=["users"])
    assert user_state(dsn) == before
    assert _ducky_tables(dsn) == ours


def test_duckys_own_views_still_go_and_a_users_view_on_them_is_refused(
    loaded: str, data: Path
) -> None:
    """ducky's own dependents in its schema (a view a bench variant built, a view on that
    view) are dropped one by one, dependents first, and the tables replaced; a user's view
    on one of them is refused like one on the table."""
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(
            "CREATE VIEW ducky.v1 AS SELECT user_id FROM ducky.events; "
            "CREATE VIEW ducky.v2 AS SELECT v1.user_id FROM ducky.v1 JOIN ducky.users USING "
            "(user_id); CREATE MATERIALIZED VIEW ducky.m3 AS SELECT count(*) FROM ducky.v2; "
            "CREATE VIEW reporting_v AS SELECT 1 AS one"  # public: unrelated, kept
        )
        c.execute("CREATE SCHEMA reporting; CREATE VIEW reporting.on_v2 AS SELECT * FROM ducky.v2")
    before = user_state(loaded)
    r = _load(data, loaded)
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "reporting.on_v2 (not created by ducky) depends on ducky." in r.stderr
    assert "drop or move that view yourself first" in r.stderr
    assert user_state(loaded) == before
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute("DROP VIEW reporting.on_v2")
    before = user_state(loaded)
    r = _load(data, loaded)
    assert r.code == 0, r.stderr
    with psycopg.connect(loaded, autocommit=True) as c:
        views = c.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'ducky'::regnamespace "
            "AND relkind IN ('v', 'm')"
        ).fetchall()
        n = c.execute("SELECT count(*) FROM ducky.events").fetchone()
    assert views == [] and n == (len(handmade.EVENTS),)
    assert user_state(loaded) == before


def test_a_users_view_on_a_rollup_table_is_refused_in_one_line(loaded: str, data: Path) -> None:
    r = run_cli("--data", str(data), "rollup", "build", "wau", "-e", "postgres", "--dsn", loaded)
    assert r.code == 0, r.stderr
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute("CREATE VIEW public.weekly AS SELECT * FROM ducky.rollup_user_week")
    before, ours = user_state(loaded), _ducky_tables(loaded)
    r = _load(data, loaded)
    assert r.code == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        "error: postgres: public.weekly (not created by ducky) depends on "
        "ducky.rollup_user_week: refusing to replace the table; drop or move that view "
        "yourself first"
    ]
    assert user_state(loaded) == before and _ducky_tables(loaded) == ours


# -- a role that may not use ducky's schema --------------------------------------------------


@pytest.fixture
def role(loaded: str) -> Iterator[tuple[str, str, str]]:
    """A login role of its own (roles are cluster-wide: a unique name, dropped after)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"ducky_nopriv_{conninfo_to_dict(loaded)['dbname']}"
    secret = "pw-" + name + "-s3cr3t"
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(f"DROP ROLE IF EXISTS {name}")
        c.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{secret}'")
    dsn = make_conninfo(loaded, user=name, password=secret)
    yield name, secret, dsn
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(f"DROP OWNED BY {name}")
        c.execute(f"DROP ROLE {name}")


@pytest.mark.parametrize("method", ["binary", "adbc"])
def test_a_role_without_usage_on_the_schema_is_refused(
    loaded: str, data: Path, role: Any, method: str
) -> None:
    name, secret, dsn = role
    ours = _ducky_tables(loaded)
    r = _load(data, dsn, "--method", method)
    assert r.code == 2, r.stdout + r.stderr
    assert r.stderr.strip().splitlines() == [
        f'error: postgres: role "{name}" lacks the USAGE and CREATE privileges on schema '
        f'"ducky", so ducky cannot use it; have its owner run GRANT USAGE, CREATE ON SCHEMA '
        f'"ducky" TO "{name}", or choose another schema with -o schema=NAME or DUCKY_PG_SCHEMA'
    ]
    assert secret not in r.stderr + r.stdout
    assert _ducky_tables(loaded) == ours
    r = run_cli("--data", str(data), "query", "wau", "-e", "postgres", "-o", f"dsn={dsn}")
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f'role "{name}" lacks the USAGE privilege on schema "ducky"' in r.stderr
    assert secret not in r.stderr + r.stdout


def test_a_role_with_usage_but_no_create_is_refused(loaded: str, data: Path, role: Any) -> None:
    name, secret, dsn = role
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(f"GRANT USAGE ON SCHEMA ducky TO {name}")
    ours = _ducky_tables(loaded)
    r = _load(data, dsn)
    assert r.code == 2, r.stderr
    line = r.stderr.strip().splitlines()
    assert len(line) == 1 and line[0].startswith(
        f'error: postgres: role "{name}" lacks the CREATE privilege on schema "ducky"'
    )
    assert secret not in r.stderr + r.stdout
    assert _ducky_tables(loaded) == ours


def test_a_role_that_may_not_create_the_schema_is_refused(
    loaded: str, data: Path, role: Any
) -> None:
    name, secret, dsn = role
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute(f"REVOKE CREATE ON DATABASE {c.info.dbname} FROM PUBLIC")
    r = _load(data, dsn, env={"DUCKY_PG_SCHEMA": "ducky_other"})
    assert r.code == 2, r.stderr
    line = r.stderr.strip().splitlines()
    assert len(line) == 1 and line[0].startswith(
        f'error: postgres: role "{name}" may not create schema "ducky_other" (no CREATE '
        "privilege on database"
    )
    assert secret not in r.stderr + r.stdout


# -- rollup drop ---------------------------------------------------------------------------


def _rollup_leftovers(dsn: str) -> list[str]:
    with psycopg.connect(dsn, autocommit=True) as c:
        rels = c.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'ducky'::regnamespace "
            "AND relkind = 'r' AND relname NOT IN ('users', 'products', 'events', 'ducky_meta')"
        ).fetchall()
        funcs = c.execute(
            "SELECT oid::regprocedure::text FROM pg_proc WHERE pronamespace = 'ducky'::regnamespace"
        ).fetchall()
        triggers = c.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'ducky'::regnamespace)"
        ).fetchall()
    return sorted(str(r[0]) for r in (*rels, *funcs, *triggers))


def test_dropping_the_last_rollup_leaves_nothing_behind(loaded: str, data: Path) -> None:
    def rollup(*args: str) -> Any:
        r = run_cli("--data", str(data), "rollup", *args, "-e", "postgres", "--dsn", loaded)
        assert r.code == 0, r.stderr
        return r

    rollup("build", "wau", "cohort")
    rollup("drop", "wau")
    # cohort still needs the state table and the stale helpers
    left = _rollup_leftovers(loaded)
    assert "ducky_rollup_state" in left and "ducky.ducky_rollup_mark_stale()" in left
    assert "ducky.ducky_rollup_set_stale(text,text)" in left
    r = run_cli(
        "--data", str(data), "rollup", "status", "cohort", "-e", "postgres", "--dsn", loaded
    )
    assert r.code == 0 and "fresh" in r.stdout, r.stdout + r.stderr
    rollup("drop")
    assert _rollup_leftovers(loaded) == []
    # and a new build starts from nothing again
    rollup("build", "revenue")
    rollup("drop", "revenue")
    assert _rollup_leftovers(loaded) == []
    # A user's view on the state table keeps it (never a CASCADE), the helpers still go.
    rollup("build", "wau")
    with psycopg.connect(loaded, autocommit=True) as c:
        c.execute("CREATE VIEW public.watch AS SELECT query, status FROM ducky.ducky_rollup_state")
    before = user_state(loaded)
    rollup("drop")
    assert _rollup_leftovers(loaded) == ["ducky_rollup_state"]
    after = user_state(loaded)
    assert before["public.watch"].pop("rows") == (1,)  # ducky's row, read through the view
    assert after["public.watch"].pop("rows") == (0,)
    assert after == before
