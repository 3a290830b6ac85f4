"""ducky's own schema in a PostgreSQL database, and the rule that protects everything else.

Everything ducky writes to PostgreSQL (loaded tables, rollups and their triggers' functions,
the `ducky_meta` and rollup state tables, bench indexes) lives in ONE schema, `ducky` unless
`-o schema=NAME` / DUCKY_PG_SCHEMA says otherwise. ducky creates that schema itself and marks
it with a comment (`created by ducky ...`); it writes only into a schema carrying that marker.
A schema of the same name without the marker belongs to someone else: ducky refuses in one
line, naming it, and touches nothing. Every connection ducky opens for its own objects sets
`search_path` to that schema alone, so unqualified names in its SQL (events, ducky_meta,
rollup tables) never resolve to, and DDL never lands on, the user's own `public.events`.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ducky.errors import UserError

DEFAULT_SCHEMA = "ducky"
ENV_SCHEMA = "DUCKY_PG_SCHEMA"
MARKER = "created by ducky"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Schemas a user could name by mistake that are never ducky's to write into.
_RESERVED = ("public", "pg_catalog", "information_schema", "pg_toast")


class NotOurs(UserError):
    """An object ducky would write to exists and was not created by ducky (exit 2)."""


def schema_name(explicit: str | None = None) -> str:
    """The schema ducky owns: explicit (-o schema=), else DUCKY_PG_SCHEMA, else `ducky`."""
    name = (explicit or os.environ.get(ENV_SCHEMA, "") or DEFAULT_SCHEMA).strip()
    if not _IDENT.match(name):
        raise UserError(
            f"postgres schema {name!r} is not a plain lower-case identifier "
            "(letters, digits, underscores)"
        )
    if name in _RESERVED or name.startswith("pg_"):
        raise NotOurs(
            f"postgres: schema {name!r} is not ducky's to write into; "
            "choose another with -o schema=NAME or DUCKY_PG_SCHEMA"
        )
    return name


def search_path_sql(schema: str) -> str:
    # pg_temp last: a temporary table can never shadow one of ducky's tables by accident.
    return f'SET search_path TO "{schema}", pg_temp'


def marker_comment() -> str:
    from ducky.version import __version__

    return f"{MARKER} {__version__}: ducky drops and rebuilds the objects in this schema"


def schema_state_sql(schema: str) -> tuple[str, tuple[str]]:
    """(sql, params): one row (exists, comment) when the schema exists, none otherwise."""
    return (
        "SELECT true, obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
        (schema,),
    )


def refusal(schema: str) -> NotOurs:
    return NotOurs(
        f'postgres: schema "{schema}" exists and was not created by ducky (no ownership '
        "marker): refusing to write into it; choose another with -o schema=NAME or "
        "DUCKY_PG_SCHEMA"
    )


def is_marked(comment: Any) -> bool:
    return isinstance(comment, str) and comment.startswith(MARKER)


def check_schema(rows: list[tuple[Any, ...]], schema: str) -> bool:
    """True when the schema exists and is ducky's, False when it does not exist; raises
    NotOurs when it exists without the marker."""
    if not rows:
        return False
    if not is_marked(rows[0][1]):
        raise refusal(schema)
    return True


def create_schema_sql(schema: str) -> list[str]:
    comment = marker_comment().replace("'", "''")
    return [f'CREATE SCHEMA "{schema}"', f"COMMENT ON SCHEMA \"{schema}\" IS '{comment}'"]


def ensure_schema_psycopg(conn: Any, schema: str, create: bool = True) -> bool:
    """Make `conn` (psycopg 3) work inside ducky's schema: refuse a foreign one, create and
    mark it when missing (`create`), then set search_path. True when the schema exists now."""
    sql, params = schema_state_sql(schema)
    exists = check_schema(conn.execute(sql, params).fetchall(), schema)
    if not exists and create:
        for stmt in create_schema_sql(schema):
            conn.execute(stmt)
        exists = True
    conn.execute(search_path_sql(schema))
    return exists


def foreign_dependents_sql(schema: str, table: str) -> str:
    """Views (or other rules) outside ducky's schema that read `schema.table`: dropping the
    table CASCADE would drop them, so their existence is a refusal instead."""
    s, t = schema.replace("'", "''"), table.replace("'", "''")
    return (
        "SELECT DISTINCT v.oid::regclass::text FROM pg_depend d "
        "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
        "JOIN pg_namespace n ON n.oid = v.relnamespace "
        f'WHERE d.refobjid = to_regclass(\'"{s}"."{t}"\') AND v.oid <> d.refobjid '
        f"AND n.nspname <> '{s}' ORDER BY 1"
    )


def dependents_refusal(schema: str, table: str, views: list[str]) -> NotOurs:
    return NotOurs(
        f"postgres: {', '.join(views)} (not created by ducky) depends on {schema}.{table}: "
        "refusing to replace the table; drop or move that view yourself first"
    )


# Trigger functions run in the writer's session, whose search_path is not ducky's: pin every
# ducky function in the schema to it, so `INSERT INTO public...`-free bodies still find the
# rollup tables (and never a same-named table elsewhere).
PIN_FUNCTIONS_SQL = """DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace
               AND p.proname LIKE 'ducky\\_%'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', r.f, current_schema());
    END LOOP;
END $$"""
