"""ducky's own schema in a PostgreSQL database, and the rule that protects everything else.

Everything ducky writes to PostgreSQL (loaded tables, rollups and their triggers' functions,
the `ducky_meta` and rollup state tables, bench indexes) lives in ONE schema, `ducky` unless
`-o schema=NAME` / DUCKY_PG_SCHEMA says otherwise. ducky creates that schema itself and marks
it with a comment (`created by ducky ...`); it writes only into a schema carrying that marker.
A schema of the same name without the marker belongs to someone else: ducky refuses in one
line, naming it, and touches nothing. Every connection ducky opens for its own objects sets
`search_path` to that schema alone, so unqualified names in its SQL (events, ducky_meta,
rollup tables) never resolve to, and DDL never lands on, the user's own `public.events`; a
role without USAGE (or, to write, CREATE) on the schema is refused in one line instead of
having search_path skip it silently (tables would land in pg_temp and vanish).

Replacing ducky's tables never cascades into someone else's object: `drop_plan` walks
pg_depend from the tables and their row types the way DROP ... CASCADE would, and any object
outside the schema it reaches (a view, a foreign key, a function with an SQL body, a column
of the row type, a policy, an inheriting table, ...) is a one-line refusal before anything is
changed; ducky's own dependents are dropped one by one, and the tables without CASCADE.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ducky.errors import UserError

DEFAULT_SCHEMA = "ducky"
ENV_SCHEMA = "DUCKY_PG_SCHEMA"
MARKER = "created by ducky"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Schemas a user could name by mistake that are never ducky's to write into.
_RESERVED = ("public", "pg_catalog", "information_schema", "pg_toast")
# Runs one query and returns its rows (a psycopg connection's or an ADBC cursor's).
Fetch = Callable[[str], list[tuple[Any, ...]]]
Key = tuple[int, int, int]  # pg_depend's (classid, objid, objsubid)


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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


def ensure_schema(
    fetch: Fetch, execute: Callable[[str], Any], schema: str, create: bool = True
) -> bool:
    """Make a connection work inside ducky's schema: refuse a foreign one, create and mark it
    when missing (`create`), then set search_path and check that unqualified names do land
    there. True when the schema exists now. `fetch` runs a query and returns its rows,
    `execute` runs a statement (psycopg or ADBC).

    A role without USAGE on the schema would have it silently skipped by search_path: new
    tables would go to pg_temp and vanish at disconnect, reads would find nothing. So the
    role's privileges are checked first (USAGE, and CREATE when `create`: a writer), and a
    missing one is one line naming the role and the schema (NoPrivilege, exit 2)."""
    exists = check_schema(fetch(schema_state_sql(schema)[0].replace("%s", _lit(schema))), schema)
    if exists:
        check_privileges(fetch, schema, write=create)
    elif create:
        check_create_schema(fetch, schema)
        for stmt in create_schema_sql(schema):
            execute(stmt)
        exists = True
    execute(search_path_sql(schema))
    if exists:
        current = fetch("SELECT current_schema()::text, current_user::text")[0]
        if current[0] != schema:  # search_path skipped it: nothing may be written
            raise no_privilege(str(current[1]), schema, ["USAGE"])
    return exists


def ensure_schema_psycopg(conn: Any, schema: str, create: bool = True) -> bool:
    """ensure_schema on a psycopg 3 connection."""
    return ensure_schema(
        lambda sql: list(conn.execute(sql).fetchall()), conn.execute, schema, create
    )


class NoPrivilege(UserError):
    """The role ducky connects as may not use (or write into) ducky's schema (exit 2)."""


def no_privilege(role: str, schema: str, missing: Sequence[str]) -> NoPrivilege:
    grant = ", ".join(missing)
    plural = "privileges" if len(missing) > 1 else "privilege"
    return NoPrivilege(
        f'postgres: role "{role}" lacks the {" and ".join(missing)} {plural} on schema '
        f'"{schema}", so ducky cannot use it; have its owner run GRANT {grant} ON SCHEMA '
        f"{_quote(schema)} TO {_quote(role)}, or choose another schema with -o schema=NAME "
        "or DUCKY_PG_SCHEMA"
    )


def check_privileges(fetch: Fetch, schema: str, write: bool) -> None:
    """Raise NoPrivilege unless the current role has USAGE on the (existing) schema, and
    CREATE too when it is to `write` there."""
    s = _lit(schema)
    role, usage, create = fetch(
        f"SELECT current_user::text, has_schema_privilege({s}, 'USAGE'), "
        f"has_schema_privilege({s}, 'CREATE')"
    )[0]
    missing = [p for p, ok in (("USAGE", usage), ("CREATE", create or not write)) if not ok]
    if missing:
        raise no_privilege(str(role), schema, missing)


def check_create_schema(fetch: Fetch, schema: str) -> None:
    """Raise NoPrivilege unless the current role may create `schema` in this database."""
    role, db, ok = fetch(
        "SELECT current_user::text, current_database()::text, "
        "has_database_privilege(current_database(), 'CREATE')"
    )[0]
    if not ok:
        raise NoPrivilege(
            f'postgres: role "{role}" may not create schema "{schema}" (no CREATE privilege '
            f'on database "{db}"); have its owner run GRANT CREATE ON DATABASE {_quote(str(db))} '
            f"TO {_quote(str(role))}, or connect as a role that may"
        )


# pg_depend kinds a DROP follows: normal (only with CASCADE), auto, internal and partition
# (always). Not pin (system objects) nor extension membership.
_FOLLOWED = "'n', 'a', 'i', 'P', 'S'"
_MAX_DEPTH = 64  # dependency chains are short; this only bounds a catalog gone strange


@dataclass
class Dependent:
    """One object that a DROP of ducky's tables would reach, described for a message or a
    statement of its own."""

    key: Key
    kind: str  # pg_identify_object's type: view, function, table constraint, ...
    schema: str | None  # its own schema, or that of the table it belongs to
    name: str  # for messages: a view's name, else pg_describe_object's words
    identity: str  # pg_identify_object's identity: qualified and quoted
    unit: Key  # what a DROP names: the view for its _RETURN rule, else itself
    relation: str | None  # "schema"."table" it sits on (constraint, column, trigger, rule)
    member: str | None  # constraint or column name on `relation`
    root: str  # the ducky table (or row type) it depends on
    depth: int
    via: set[str] = field(default_factory=set)  # deptypes of the edges that reached it, "owner"

    def ours(self, schema: str) -> bool:
        # A toast table is internal to its table; its schema is pg_toast.
        return self.schema in (schema, "pg_toast")

    def drop_sql(self) -> str:
        """The statement that drops just this object (RESTRICT: PostgreSQL refuses if
        anything else still depends on it)."""
        if self.kind == "table constraint" and self.relation and self.member:
            return f"ALTER TABLE {self.relation} DROP CONSTRAINT {_quote(self.member)}"
        if self.kind == "table column" and self.relation and self.member:
            return f"ALTER TABLE {self.relation} DROP COLUMN {_quote(self.member)}"
        return f"DROP {self.kind.upper()} {self.identity}"


@dataclass
class DropPlan:
    """What replacing ducky's tables involves: the objects outside its schema that would be
    lost (a refusal), and ducky's own dependents to drop first, dependents before what they
    depend on, so the tables themselves drop without CASCADE."""

    foreign: list[Dependent]
    own_drops: list[str]


def _values(keys: Sequence[Key]) -> str:
    return ", ".join(f"({c}::oid, {o}::oid, {s}::int4)" for c, o, s in sorted(keys))


def _edges_sql(frontier: Sequence[Key]) -> str:
    """Objects that depend on the frontier (`dep`), and the objects a frontier object is an
    internal part of (`owner`: a view for its rule; PostgreSQL drops the owner with it)."""
    whole = [k for k in frontier if k[2] == 0]
    parts = [k for k in frontier if k[2] != 0]
    cond = []
    if whole:
        cond.append(
            "(d.refclassid, d.refobjid) IN (SELECT c, o FROM (VALUES "
            f"{_values(whole)}) AS v(c, o, s))"
        )
    if parts:
        cond.append(f"(d.refclassid, d.refobjid, d.refobjsubid) IN (VALUES {_values(parts)})")
    return (
        "SELECT d.classid::int8, d.objid::int8, d.objsubid::int4, d.deptype::text, "
        "d.refclassid::int8, d.refobjid::int8, d.refobjsubid::int4, 'dep' FROM pg_depend d "
        f"WHERE d.deptype IN ({_FOLLOWED}) AND ({' OR '.join(cond)}) "
        "AND NOT (d.classid = d.refclassid AND d.objid = d.refobjid) "
        "UNION ALL "
        "SELECT d.refclassid::int8, d.refobjid::int8, d.refobjsubid::int4, d.deptype::text, "
        "d.classid::int8, d.objid::int8, d.objsubid::int4, 'owner' FROM pg_depend d "
        "WHERE d.deptype IN ('i', 'P') AND (d.classid, d.objid, d.objsubid) IN (VALUES "
        f"{_values(frontier)}) "
        "AND NOT (d.classid = d.refclassid AND d.objid = d.refobjid)"
    )


def _describe_sql(keys: Sequence[Key]) -> str:
    """Per object: type, schema (its table's for a trigger, rule, policy or default), the
    name for a message, identity, the view of a _RETURN rule, the table it sits on and the
    constraint's or column's name."""
    return (
        "SELECT v.c::int8, v.o::int8, v.s::int4, i.type, COALESCE(rn.nspname::text, i.schema), "
        "CASE WHEN rw.rulename = '_RETURN' THEN rw.ev_class::regclass::text "
        "ELSE pg_describe_object(v.c, v.o, v.s) END, i.identity, "
        "CASE WHEN rw.rulename = '_RETURN' THEN rw.ev_class::int8 END, "
        "CASE WHEN rel.oid IS NOT NULL THEN format('%I.%I', rn.nspname, rel.relname) END, "
        "COALESCE(co.conname::text, att.attname::text) "
        f"FROM (VALUES {_values(keys)}) AS v(c, o, s) "
        "CROSS JOIN LATERAL pg_identify_object(v.c, v.o, v.s) AS i "
        "LEFT JOIN pg_rewrite rw ON v.c = 'pg_rewrite'::regclass AND rw.oid = v.o "
        "LEFT JOIN pg_trigger tg ON v.c = 'pg_trigger'::regclass AND tg.oid = v.o "
        "LEFT JOIN pg_attrdef ad ON v.c = 'pg_attrdef'::regclass AND ad.oid = v.o "
        "LEFT JOIN pg_policy po ON v.c = 'pg_policy'::regclass AND po.oid = v.o "
        "LEFT JOIN pg_constraint co ON v.c = 'pg_constraint'::regclass AND co.oid = v.o "
        "LEFT JOIN pg_attribute att ON v.c = 'pg_class'::regclass AND v.s <> 0 "
        "AND att.attrelid = v.o AND att.attnum = v.s "
        "LEFT JOIN pg_class rel ON rel.oid = COALESCE(rw.ev_class, tg.tgrelid, ad.adrelid, "
        "po.polrelid, NULLIF(co.conrelid, 0), CASE WHEN v.c = 'pg_class'::regclass THEN v.o END) "
        "LEFT JOIN pg_namespace rn ON rn.oid = rel.relnamespace"
    )


def drop_plan(fetch: Fetch, schema: str, tables: Sequence[str]) -> DropPlan:
    """Everything that `DROP TABLE <schema>.<t>` for each of `tables` would reach through
    pg_depend, followed the way PostgreSQL's DROP ... CASCADE follows it (dependents, their
    dependents, the objects an internal part belongs to), from the tables and their row
    types: views and materialized views, foreign keys, functions and procedures with SQL
    bodies, columns of the row type, triggers, rules, policies, owned sequences, inheriting
    tables, statistics. The walk stops at an object outside `schema` (it is reported, not
    followed). `fetch` runs one query and returns its rows (psycopg or ADBC)."""
    names = ", ".join(_lit(t) for t in tables)
    roots = (
        fetch(
            "SELECT c.oid::int8, c.relname::text FROM pg_class c "
            f"WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = {_lit(schema)}) "
            f"AND c.relname IN ({names}) ORDER BY 2"
        )
        if tables
        else []
    )
    pg_class = int(fetch("SELECT 'pg_class'::regclass::oid::int8")[0][0])
    seen: dict[Key, Dependent] = {}
    root_of: dict[Key, str] = {(pg_class, int(o), 0): str(n) for o, n in roots}
    edges: list[tuple[Key, Key]] = []  # (dependent, referenced)
    frontier: list[Key] = list(root_of)
    depth = 0
    while frontier and depth < _MAX_DEPTH:
        depth += 1
        new: dict[Key, tuple[str, set[str]]] = {}  # key -> (root, how it was reached)
        for row in fetch(_edges_sql(frontier)):
            # (reached, source): a dependent of the frontier object, or the owner of one
            reached: Key = (int(row[0]), int(row[1]), int(row[2]))
            source: Key = (int(row[4]), int(row[5]), int(row[6]))
            deptype, direction = str(row[3]), str(row[7])
            if direction == "dep":
                edges.append((reached, source))
            if (reached[0], reached[1], 0) in root_of:
                continue  # one of the tables being replaced, or a column of one
            via = deptype if direction == "dep" else "owner"
            if reached in seen:
                if seen[reached].unit != _unit(seen, source):  # not its own view's edge
                    seen[reached].via.add(via)
                continue
            root = root_of.get((source[0], source[1], 0)) or _root_of(seen, source)
            new.setdefault(reached, (root, set()))[1].add(via)
        if not new:
            break
        frontier = []
        for r in fetch(_describe_sql(list(new))):
            key: Key = (int(r[0]), int(r[1]), int(r[2]))
            root, how = new[key]
            d = Dependent(
                key=key,
                kind=str(r[3]),
                schema=None if r[4] is None else str(r[4]),
                name=str(r[5]),
                identity=str(r[6]),
                unit=(pg_class, int(r[7]), 0) if r[7] is not None else key,
                relation=None if r[8] is None else str(r[8]),
                member=None if r[9] is None else str(r[9]),
                root=root,
                depth=depth,
                via=how,
            )
            seen[key] = d
            if d.ours(schema):
                frontier.append(key)  # a foreign object is reported, not walked through
    foreign = [d for d in seen.values() if not d.ours(schema)]
    return DropPlan(foreign, _own_drops(seen, edges, schema))


def _seen(seen: dict[Key, Dependent], key: Key) -> Dependent | None:
    return seen.get(key) or seen.get((key[0], key[1], 0))  # a column: its table or view


def _unit(seen: dict[Key, Dependent], key: Key) -> Key:
    d = _seen(seen, key)
    return d.unit if d is not None else (key[0], key[1], 0)


def _root_of(seen: dict[Key, Dependent], key: Key) -> str:
    d = _seen(seen, key)
    return d.root if d is not None else "?"


def _own_drops(seen: dict[Key, Dependent], edges: list[tuple[Key, Key]], schema: str) -> list[str]:
    """ducky's own objects that only a CASCADE would take with its tables (reached through
    normal dependencies alone: a view on events, a foreign key between ducky's tables), as
    DROP statements, dependents first."""
    from graphlib import CycleError, TopologicalSorter

    units: dict[Key, Dependent] = {}
    for d in seen.values():
        if d.ours(schema) and d.via - {"owner"} == {"n"} and d.kind != "default value":
            unit = seen.get(d.unit, d)
            units.setdefault(unit.key, unit)
    graph: dict[Key, set[Key]] = {u: set() for u in units}
    for dep, ref in edges:
        a, b = _unit(seen, dep), _unit(seen, ref)
        if a != b and a in units and b in units:
            graph[b].add(a)  # b is dropped after a, which depends on it
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError:  # cannot happen for normal dependencies; the deepest first then
        order = sorted(units, key=lambda k: -units[k].depth)
    return [units[k].drop_sql() for k in order]


def dependents_refusal(schema: str, foreign: Sequence[Dependent]) -> NotOurs:
    """One line naming every object outside ducky's schema that depends on its tables."""
    by_root: dict[str, list[str]] = {}
    for d in sorted(foreign, key=lambda d: (d.root, d.name)):
        if d.name not in by_root.setdefault(d.root, []):
            by_root[d.root].append(d.name)
    parts = [
        f"{', '.join(names)} (not created by ducky) "
        f"{'depends' if len(names) == 1 else 'depend'} on {schema}.{root}"
        for root, names in by_root.items()
    ]
    views = all(d.unit != d.key or d.kind in ("view", "materialized view") for d in foreign)
    what = "that view" if views and len(foreign) == 1 else "them" if len(foreign) > 1 else "it"
    tables = "the table" if len(by_root) == 1 else "the tables"
    return NotOurs(
        f"postgres: {'; '.join(parts)}: refusing to replace {tables}; "
        f"drop or move {what} yourself first"
    )


def check_dependents(fetch: Fetch, schema: str, tables: Sequence[str]) -> DropPlan:
    """drop_plan, refusing (NotOurs) when anything outside ducky's schema depends on
    `tables`."""
    plan = drop_plan(fetch, schema, tables)
    if plan.foreign:
        raise dependents_refusal(schema, plan.foreign)
    return plan


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
