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
    root_of: dict[Key, str] = {(pg_class, int(o), 0): str(n) for o, n in roots}
    seen, edges = _walk(fetch, schema, root_of, pg_class)
    foreign = [d for d in seen.values() if not d.ours(schema)]
    return DropPlan(foreign, _own_drops(seen, [(a, b) for a, b, _ in edges], schema))


Edge = tuple[Key, Key, str]  # (dependent, referenced, pg_depend's deptype)


def _dependent(r: Sequence[Any], pg_class: int, root: str, depth: int, via: set[str]) -> Dependent:
    """A Dependent from one row of _describe_sql."""
    key: Key = (int(r[0]), int(r[1]), int(r[2]))
    return Dependent(
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
        via=via,
    )


def _walk(
    fetch: Fetch, schema: str, root_of: dict[Key, str], pg_class: int
) -> tuple[dict[Key, Dependent], list[Edge]]:
    """Follow pg_depend from `root_of` (key -> the name messages give it) the way DROP ...
    CASCADE would: every object reached that is not a root, described, and every edge seen
    (into a root or an object of `schema`). Objects outside `schema` are not walked through."""
    seen: dict[Key, Dependent] = {}
    edges: list[Edge] = []
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
                edges.append((reached, source, deptype))
            if (reached[0], reached[1], 0) in root_of:
                continue  # a root (a table being replaced), or a column of one
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
            d = _dependent(r, pg_class, root, depth, how)
            seen[key] = d
            if d.ours(schema):
                frontier.append(key)  # a foreign object is reported, not walked through
    return seen, edges


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


def _by_root(foreign: Sequence[Dependent]) -> dict[str, list[str]]:
    """The foreign objects' names per ducky object they depend on, each named once, sorted."""
    by_root: dict[str, list[str]] = {}
    for d in sorted(foreign, key=lambda d: (d.root, d.name)):
        if d.name not in by_root.setdefault(d.root, []):
            by_root[d.root].append(d.name)
    return by_root


def _depend_parts(by_root: dict[str, list[str]], prefix: str) -> list[str]:
    """ "x, y (not created by ducky) depend on <prefix><root>" per ducky object."""
    return [
        f"{', '.join(names)} (not created by ducky) "
        f"{'depends' if len(names) == 1 else 'depend'} on {prefix}{root}"
        for root, names in by_root.items()
    ]


def dependents_refusal(schema: str, foreign: Sequence[Dependent]) -> NotOurs:
    """One line naming every object outside ducky's schema that depends on its tables."""
    by_root = _by_root(foreign)
    parts = _depend_parts(by_root, f"{schema}.")
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


# -- removing ducky's schema (`ducky pg remove`) ---------------------------------------------

# The DROP keyword for each kind of object (pg_identify_object's type) ducky's schema may hold
# at its top level. Each of these statements takes a list of names, so objects of one kind
# that depend on one another are dropped together, still without CASCADE.
_DROP_KEYWORDS = {
    "table": "TABLE",
    "view": "VIEW",
    "materialized view": "MATERIALIZED VIEW",
    "sequence": "SEQUENCE",
    "foreign table": "FOREIGN TABLE",
    "function": "FUNCTION",
    "procedure": "PROCEDURE",
    "aggregate": "AGGREGATE",
    "type": "TYPE",
    "composite type": "TYPE",
    "statistics object": "STATISTICS",
}
# What the summary counts, in this order (JSON keys).
OBJECT_KINDS = (
    "tables", "views", "materialized_views", "sequences", "indexes", "foreign_tables",
    "functions", "procedures", "aggregates", "types", "triggers",
)  # fmt: skip


@dataclass
class RemovePlan:
    """What removing ducky's schema involves: the objects outside it that depend on something
    in it (a refusal), what it holds (counts per kind, bytes), and the statements that drop
    it: ducky's objects one kind at a time, dependents first, each without CASCADE, then the
    schema itself with RESTRICT. `cascade` is set only when ducky's own objects depend on one
    another in a cycle across kinds that no order of RESTRICT drops can undo: the schema is
    then dropped with CASCADE, which the caller may only run in the transaction that checked
    (again) that nothing outside depends on it."""

    schema: str
    exists: bool
    marker: str = ""
    foreign: list[Dependent] = field(default_factory=list)
    objects: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    statements: list[str] = field(default_factory=list)
    cascade: bool = False


def removal_schema(explicit: str | None = None) -> str:
    """schema_name for `ducky pg remove`: the same schema, refused in words of removing."""
    raw = (explicit or os.environ.get(ENV_SCHEMA, "") or DEFAULT_SCHEMA).strip()
    if raw.lower() in _RESERVED or raw.lower().startswith("pg_"):
        raise NotOurs(
            f'postgres: schema "{raw}" is never ducky\'s (the public or a system schema): '
            "refusing to remove it"
        )
    return schema_name(explicit)


def unmarked_refusal(schema: str) -> NotOurs:
    return NotOurs(
        f'postgres: schema "{schema}" exists and was not created by ducky (no ownership '
        "marker): refusing to remove it"
    )


def _counts_sql(ns: int) -> str:
    def rel(kinds: str) -> str:
        return f"(SELECT count(*) FROM pg_class WHERE relnamespace = {ns} AND relkind IN ({kinds}))"

    # a range type's constructors, a table's row type, an array type: parts of another object
    not_part = (
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass "
        "AND d.objid = x.oid AND d.deptype = 'i')"
    )

    def proc(kinds: str) -> str:
        return (
            f"(SELECT count(*) FROM pg_proc x WHERE pronamespace = {ns} AND prokind IN ({kinds}) "
            f"AND {not_part.format(cat='pg_proc')})"
        )

    types = (
        f"(SELECT count(*) FROM pg_type x WHERE typnamespace = {ns} "
        f"AND typtype IN ('b', 'c', 'd', 'e', 'r') AND {not_part.format(cat='pg_type')})"
    )
    triggers = (
        "(SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
        f"(SELECT oid FROM pg_class WHERE relnamespace = {ns}))"
    )
    size = (
        "(SELECT COALESCE(sum(pg_total_relation_size(oid)), 0)::int8 FROM pg_class "
        f"WHERE relnamespace = {ns} AND relkind IN ('r', 'p', 'm', 'S'))"
    )
    counts = [
        rel("'r', 'p'"), rel("'v'"), rel("'m'"), rel("'S'"), rel("'i', 'I'"), rel("'f'"),
        proc("'f', 'w'"), proc("'p'"), proc("'a'"), types, triggers, size,
    ]  # fmt: skip
    return "SELECT " + ", ".join(counts)


def remove_plan(fetch: Fetch, schema: str) -> RemovePlan:
    """What `DROP SCHEMA <schema>` with everything in it would take, found the way
    PostgreSQL's CASCADE would find it: from every object in the schema (tables, views,
    sequences, functions, procedures, types, statistics, ...: its pg_depend members) through
    pg_depend to their dependents (triggers, indexes, constraints, rules, policies, ...), and
    on to anything outside the schema that depends on one of them (reported in `foreign`, not
    walked through). A schema that exists without ducky's marker is refused (NotOurs); one that
    does not exist is a plan with `exists` False. Reads only."""
    rows = fetch(
        "SELECT oid::int8, obj_description(oid, 'pg_namespace') FROM pg_namespace "
        f"WHERE nspname = {_lit(schema)}"
    )
    if not rows:
        return RemovePlan(schema, exists=False)
    ns, comment = int(rows[0][0]), rows[0][1]
    if not is_marked(comment):
        raise unmarked_refusal(schema)
    pg_class, pg_namespace, pg_type = (
        int(v)
        for v in fetch(
            "SELECT 'pg_class'::regclass::oid::int8, 'pg_namespace'::regclass::oid::int8, "
            "'pg_type'::regclass::oid::int8"
        )[0]
    )
    members = fetch(
        "SELECT classid::int8, objid::int8, objsubid::int4, deptype::text FROM pg_depend "
        f"WHERE refclassid = {pg_namespace} AND refobjid = {ns} AND deptype IN ({_FOLLOWED})"
    )
    deptype = {(int(c), int(o), int(s)): str(t) for c, o, s, t in members}
    label = f'schema "{schema}"'
    described = (
        [_dependent(r, pg_class, label, 0, {deptype[(int(r[0]), int(r[1]), int(r[2]))]})
         for r in fetch(_describe_sql(list(deptype)))]
        if deptype
        else []
    )  # fmt: skip
    roots: dict[Key, Dependent] = {}
    foreign: list[Dependent] = []
    for d in described:
        if d.kind == "default acl":
            continue  # ALTER DEFAULT PRIVILEGES IN SCHEMA: a setting of the schema, gone with it
        if d.ours(schema) and "n" in d.via:
            d.root = d.identity
            roots[d.key] = d
        else:  # an extension installed into the schema, the schema in a publication, ...
            foreign.append(d)
    seen, edges = _walk(fetch, schema, {k: d.root for k, d in roots.items()}, pg_class)
    # A schema-less object that is an internal part of one of ducky's (the cast a range type's
    # multirange brings) goes with it; any other one is someone else's (a cast, a publication).
    foreign += [
        d for d in seen.values() if not d.ours(schema) and not (d.schema is None and d.via == {"i"})
    ]
    typtypes = {
        int(o): str(t)
        for o, t in fetch(f"SELECT oid::int8, typtype::text FROM pg_type WHERE typnamespace = {ns}")
    }
    ours = dict(roots)
    ours.update((k, d) for k, d in seen.items() if d.ours(schema) and k[2] == 0)
    statements, cascade = _remove_statements(schema, ours, edges, typtypes, pg_type)
    counts = fetch(_counts_sql(ns))[0]
    return RemovePlan(
        schema,
        exists=True,
        marker=str(comment),
        foreign=foreign,
        objects={k: int(v) for k, v in zip(OBJECT_KINDS, counts[:-1], strict=True)},
        bytes=int(counts[-1]),
        statements=statements,
        cascade=cascade,
    )


def _norm(key: Key) -> Key:
    return (key[0], key[1], 0)  # a column: its table


def _remove_statements(
    schema: str,
    ours: dict[Key, Dependent],
    edges: Sequence[Edge],
    typtypes: dict[int, str],
    pg_type: int,
) -> tuple[list[str], bool]:
    """The DROP statements that remove every object in `ours` without CASCADE, dependents
    first, then the schema with RESTRICT; or (DROP SCHEMA ... CASCADE, True) when no such
    order exists. An object that is part of another one (an index, trigger, constraint or
    owned sequence of a table, a view's rule, a table's row type, an array type) goes with
    it and gets no statement of its own."""
    from graphlib import CycleError, TopologicalSorter

    parents: dict[Key, set[Key]] = {}
    for dep, ref, how in edges:
        a, b = _norm(dep), _norm(ref)
        if how in ("a", "i", "P", "S") and a != b and b in ours:
            parents.setdefault(a, set()).add(b)
    units = {k for k in ours if not parents.get(k)}

    def unit_of(key: Key) -> Key | None:
        k, visited = _norm(key), set()
        while k not in units:
            if k in visited or not parents.get(k):
                return None
            visited.add(k)
            k = min(parents[k])
        return k

    after: dict[Key, set[Key]] = {}  # unit -> units that depend on it (dropped before it)
    for dep, ref, _ in edges:
        u, v = unit_of(dep), unit_of(ref)
        if u is not None and v is not None and u != v:
            after.setdefault(v, set()).add(u)
    # Objects that depend on one another in a cycle are merged into one group, until none is.
    group = {u: u for u in units}
    while True:
        graph: dict[Key, set[Key]] = {group[u]: set() for u in units}
        for b, deps in after.items():
            graph[group[b]].update(group[a] for a in deps if group[a] != group[b])
        try:
            sorter = TopologicalSorter(graph)
            sorter.prepare()
            break
        except CycleError as e:  # each merge leaves one group fewer: this ends
            cycle = {group[k] for k in e.args[1]}
            into = min(cycle)
            for u in units:
                if group[u] in cycle:
                    group[u] = into
    statements = []
    while sorter.is_active():
        # Groups that nothing left depends on: one statement per kind for all of them.
        ready = sorted(sorter.get_ready())
        names: dict[str, list[str]] = {}
        for g in ready:
            members = [ours[u] for u in units if group[u] == g]
            words = {_drop_keyword(d, typtypes, pg_type) for d in members}
            word = words.pop() if len(words) == 1 else None
            if word is None:  # a cycle across kinds, or a kind without a DROP of its own here
                return [f"DROP SCHEMA {_quote(schema)} CASCADE"], True
            names.setdefault(word, []).extend(d.identity for d in members)
        statements += [f"DROP {w} {', '.join(sorted(n))} RESTRICT" for w, n in names.items()]
        sorter.done(*ready)
    return [*statements, f"DROP SCHEMA {_quote(schema)} RESTRICT"], False


def _drop_keyword(d: Dependent, typtypes: dict[int, str], pg_type: int) -> str | None:
    if d.key[0] == pg_type and typtypes.get(d.key[1]) == "d":
        return "DOMAIN"
    return _DROP_KEYWORDS.get(d.kind)


def removal_refusal(schema: str, foreign: Sequence[Dependent]) -> NotOurs:
    """One line naming every object outside ducky's schema that depends on something in it
    (and what), refusing to remove it."""
    by_root = _by_root(foreign)
    parts = _depend_parts(by_root, "")
    what = "them" if sum(map(len, by_root.values())) > 1 else "it"
    return NotOurs(
        f'postgres: {"; ".join(parts)}: refusing to remove schema "{schema}" (nothing '
        f"changed); drop or move {what} yourself first"
    )
