"""Maintained rollups on PostgreSQL: keyed tables, insert triggers, a state table.

Build (`PostgresRollups.build`): one transaction that first takes a SHARE lock on events (writers
wait for the build, so no insert can fall between the build's snapshot and the new triggers),
runs `sql/<query>/rollup.setup.postgres.sql` (tables + keys) and
`sql/<query>/rollup.maintain.postgres.sql` (trigger functions + triggers), and records the
build in `ducky_rollup_state` with the loaded data's fingerprint (`ducky_meta`). A failure
rolls everything back: the previous rollup and its triggers stay as they were.

Fresh means: a state row with status `fresh`, built from the data that is loaded now (same
fingerprint), every table present, and every trigger present and enabled (a missing trigger
would let inserts bypass the rollup). Triggers set status `stale` with a reason on what they
cannot maintain (UPDATE, DELETE, TRUNCATE, events of unknown users or products).

`ducky load` drops and recreates the source tables (their triggers go with them) and calls
`rebuild_after_load` inside its own transaction, so a rollup is never visible out of step with
the tables it summarises.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ducky.engines.postgres.ownership import PIN_FUNCTIONS_SQL
from ducky.rollups import BOUNDS_TABLE, ROLLUP_QUERIES, SOURCES, STATE_TABLE, TABLES, RollupStatus

if TYPE_CHECKING:
    from ducky.engines.base import StageTiming
    from ducky.engines.postgres import PostgresEngine

META_TABLE = "ducky_meta"  # written by ducky.engines.postgres.loader; the loaded data's fingerprint

# Triggers each rollup installs: (name, table). All must exist and be enabled for it to be fresh.
TRIGGERS: dict[str, tuple[tuple[str, str], ...]] = {
    "wau": (("ducky_rollup_wau_insert", "events"), ("ducky_rollup_wau_stale", "events")),
    "revenue": (
        ("ducky_rollup_revenue_insert", "events"),
        ("ducky_rollup_revenue_stale", "events"),
        ("ducky_rollup_revenue_products", "products"),
    ),
    "cohort": (
        ("ducky_rollup_cohort_insert", "events"),
        ("ducky_rollup_cohort_stale", "events"),
        ("ducky_rollup_cohort_users", "users"),
    ),
}
INSERT_FUNCTIONS = {q: f"ducky_rollup_{q}_on_insert" for q in ROLLUP_QUERIES}
# Tables only PostgreSQL's maintained rollups build, beside the shared list (ducky.rollups
# TABLES): revenue's per-(category, currency) totals (as DuckDB's) and the two keyed sets its
# insert trigger needs to keep the distinct buyers and orders exact (rollup.setup.postgres.sql).
POSTGRES_EXTRA: dict[str, tuple[str, ...]] = {
    "revenue": ("rollup_category_totals", "rollup_category_buyers", "rollup_category_orders"),
}


def rollup_tables(query: str) -> tuple[str, ...]:
    """`query`'s rollup tables on PostgreSQL: the shared list, then POSTGRES_EXTRA."""
    return TABLES[query] + POSTGRES_EXTRA.get(query, ())


# The state table and the two helpers the triggers call to mark a rollup stale (only the first
# reason is kept: it is the one that explains the staleness).
STATE_DDL: tuple[str, ...] = (
    f"""CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
    query TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('fresh', 'stale')),
    stale_reason TEXT,
    fingerprint TEXT,
    built_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    build_s DOUBLE PRECISION NOT NULL
)""",
    f"""CREATE OR REPLACE FUNCTION ducky_rollup_set_stale(q TEXT, reason TEXT) RETURNS void
LANGUAGE sql AS $$
    UPDATE {STATE_TABLE} SET status = 'stale', stale_reason = reason
    WHERE query = q AND status = 'fresh'
$$""",
    """CREATE OR REPLACE FUNCTION ducky_rollup_mark_stale() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ducky_rollup_set_stale(
        TG_ARGV[0],
        format('%s on %s at %s UTC', TG_OP, TG_TABLE_NAME,
               to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')));
    RETURN NULL;
END $$""",
)


def _file_statements(query: str, kind: str) -> list[str]:
    from importlib import resources

    from ducky.engines.base import split_statements

    f = resources.files("ducky.sql").joinpath(query).joinpath(f"rollup.{kind}.postgres.sql")
    return split_statements(f.read_text())


def setup_statements(query: str) -> list[str]:
    """Tables and keys (`rollup.setup.postgres.sql`)."""
    return _file_statements(query, "setup")


def maintain_statements(query: str) -> list[str]:
    """Trigger functions and triggers (`rollup.maintain.postgres.sql`)."""
    return _file_statements(query, "maintain")


def state_upsert_sql(query: str, build_s: float, with_meta: bool) -> str:
    """Record a finished build (literals only: `query` is one of ROLLUP_QUERIES)."""
    assert query in ROLLUP_QUERIES
    fp = f"(SELECT value FROM {META_TABLE} WHERE key = 'fingerprint')" if with_meta else "NULL"
    return (
        f"INSERT INTO {STATE_TABLE} (query, status, stale_reason, fingerprint, built_at, build_s) "
        f"VALUES ('{query}', 'fresh', NULL, {fp}, now(), {float(build_s)!r}) "
        "ON CONFLICT (query) DO UPDATE SET status = EXCLUDED.status, stale_reason = NULL, "
        "fingerprint = EXCLUDED.fingerprint, built_at = EXCLUDED.built_at, "
        "build_s = EXCLUDED.build_s"
    )


def rebuild_after_load(
    execute: Callable[[str], Any],
    fetch: Callable[[str], list[tuple[Any, ...]]],
    loaded: Sequence[str],
) -> list[tuple[str, float]]:
    """Inside `ducky load`'s transaction, after the swap: rebuild every rollup that was built
    before and reads a table this load replaced (the swap dropped its triggers with the old
    table). Returns (query, seconds) per rebuilt rollup."""
    if fetch(f"SELECT to_regclass('{STATE_TABLE}') IS NOT NULL")[0][0] is not True:
        return []
    built = {str(r[0]) for r in fetch(f"SELECT query FROM {STATE_TABLE}")}
    out = []
    for q in ROLLUP_QUERIES:
        if q not in built or not set(SOURCES[q]) & set(loaded):
            continue
        t0 = time.perf_counter()
        for stmt in (*STATE_DDL, *setup_statements(q), *maintain_statements(q)):
            execute(stmt)
        execute(PIN_FUNCTIONS_SQL)
        secs = time.perf_counter() - t0
        execute(state_upsert_sql(q, secs, with_meta=True))
        out.append((q, secs))
    return out


class PostgresRollups:
    """The rollups of one PostgreSQL database, through an open PostgresEngine."""

    def __init__(self, engine: PostgresEngine) -> None:
        self.engine = engine

    @property
    def engine_label(self) -> str:
        return f"postgres ({self.engine.target})"

    # -- reading -----------------------------------------------------------------------------
    def _rows(self, sql: str) -> list[dict[str, Any]]:
        return self.engine.run(sql).to_pylist()

    def _exists(self, name: str) -> bool:
        return self.engine.relation_exists(name)

    def _meta_fingerprint(self) -> str | None:
        if not self._exists(META_TABLE):
            return None
        rows = self._rows(f"SELECT value FROM {META_TABLE} WHERE key = 'fingerprint'")
        return str(rows[0]["value"]) if rows else None

    def _live_triggers(self, query: str) -> set[str]:
        rows = self._rows(
            "SELECT tgname FROM pg_trigger "
            f"WHERE tgname LIKE 'ducky\\_rollup\\_{query}\\_%' AND NOT tgisinternal "
            "AND tgenabled <> 'D'"
        )
        return {r["tgname"] for r in rows}

    def status(self, query: str, detail: bool = True) -> RollupStatus:
        """Fresh, stale or missing; `detail` adds rows and bytes (a COUNT over the base
        table: left out on the query path, where only freshness matters)."""
        st = RollupStatus(query, "postgres", "missing", tables=list(rollup_tables(query)))
        row = None
        if self._exists(STATE_TABLE):
            rows = self._rows(
                "SELECT status, stale_reason, fingerprint, "
                "to_char(built_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS built, "
                f"build_s FROM {STATE_TABLE} WHERE query = '{query}'"
            )
            row = rows[0] if rows else None
        present = [t for t in rollup_tables(query) if self._exists(t)]
        if present and detail:
            st.bytes = sum(self.engine.relation_size(t) for t in present)
            if rollup_tables(query)[0] in present:
                main = rollup_tables(query)[0]
                st.rows = int(self._rows(f"SELECT COUNT(*) AS n FROM {main}")[0]["n"])
        triggers = self._live_triggers(query)
        st.maintained = all(name in triggers for name, _ in TRIGGERS[query])
        if row is None:
            own = rollup_tables(query)[0] in present  # the shared bounds table does not count
            st.reason = "built without ducky's rollup state" if own else "never built"
            return st
        st.built_at, st.build_s = row["built"], float(row["build_s"])
        st.state = "stale"
        missing_tables = [t for t in rollup_tables(query) if t not in present]
        missing_triggers = [n for n, _ in TRIGGERS[query] if n not in triggers]
        if row["status"] != "fresh":
            st.reason = row["stale_reason"] or "marked stale"
        elif row["fingerprint"] != self._meta_fingerprint():
            st.reason = "the loaded data changed since the build"
        elif missing_tables:
            st.reason = f"table(s) {', '.join(missing_tables)} missing"
        elif missing_triggers:
            st.reason = f"trigger(s) {', '.join(missing_triggers)} missing or disabled"
        else:
            st.state, st.reason = "fresh", None
        return st

    # -- writing -----------------------------------------------------------------------------
    def build(self, query: str) -> list[StageTiming]:
        """Build (or rebuild) `query`'s rollup and its triggers in one transaction; each
        statement is a timed stage (rollup tables with rows and bytes)."""
        from ducky.engines.base import StageTiming

        eng = self.engine
        for t in SOURCES[query]:
            if not self._exists(t):
                from ducky.errors import UserError

                raise UserError(
                    f"cannot build the {query} rollup: table {t} is not loaded "
                    "(run `ducky load -e postgres` first)"
                )
        with_meta = self._exists(META_TABLE)
        t0 = time.perf_counter()
        with eng.con.transaction():
            # Writers to the sources wait until the rollup and its triggers are in place.
            sources = ", ".join(SOURCES[query])
            eng.execute(f"LOCK TABLE {sources} IN SHARE MODE")
            for stmt in STATE_DDL:
                eng.execute(stmt)
            stages = eng.run_setup(setup_statements(query))
            t1 = time.perf_counter()
            for stmt in maintain_statements(query):
                eng.execute(stmt)
            eng.execute(PIN_FUNCTIONS_SQL)  # triggers fire in writers' sessions too
            stages.append(
                StageTiming(
                    "setup", time.perf_counter() - t1, {"sql": "insert/stale triggers on sources"}
                )
            )
            eng.execute(state_upsert_sql(query, time.perf_counter() - t0, with_meta))
        return stages

    def drop(self, query: str) -> bool:
        """Drop `query`'s triggers, functions, tables and state; True when anything existed.
        The last rollup dropped takes the shared state table and stale helpers with it."""
        eng = self.engine
        existed = self.status(query)
        had = existed.state != "missing" or existed.rows is not None or existed.maintained
        others = [
            q
            for q in ("wau", "cohort")
            if q != query and BOUNDS_TABLE in TABLES[query] and self.status(q).state != "missing"
        ]
        with eng.con.transaction():
            for name, table in TRIGGERS[query]:
                if self._exists(table):
                    eng.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            eng.execute(f"DROP FUNCTION IF EXISTS {INSERT_FUNCTIONS[query]}()")
            for t in rollup_tables(query):
                if t == BOUNDS_TABLE and others:
                    continue  # still read by the other rollup
                eng.execute(f"DROP TABLE IF EXISTS {t}")
            if self._exists(STATE_TABLE):
                eng.execute(f"DELETE FROM {STATE_TABLE} WHERE query = '{query}'")
            self._drop_shared_if_unused()
        return had

    def _drop_shared_if_unused(self) -> None:
        """Once no rollup is left (no state row, no rollup table): the state table and the
        two stale helpers of STATE_DDL go too, each only when nothing depends on it (a
        trigger or a function calling a helper, someone's view on the table), never with
        CASCADE."""
        from ducky.engines.postgres.ownership import drop_plan

        if (
            self._exists(STATE_TABLE)
            and self._rows(f"SELECT COUNT(*) AS n FROM {STATE_TABLE}")[0]["n"]
        ):
            return
        if any(self._exists(t) for q in ROLLUP_QUERIES for t in rollup_tables(q)):
            return
        for fn in ("ducky_rollup_mark_stale()", "ducky_rollup_set_stale(TEXT, TEXT)"):
            used = self._rows(
                "SELECT COUNT(*) AS n FROM pg_depend WHERE refclassid = 'pg_proc'::regclass "
                f"AND refobjid = to_regprocedure('{fn}') AND deptype = 'n'"
            )
            if not used[0]["n"]:
                self.engine.execute(f"DROP FUNCTION IF EXISTS {fn}")
        if self._exists(STATE_TABLE):
            plan = drop_plan(
                lambda sql: list(self.engine.con.execute(sql).fetchall()),
                self.engine.schema,
                [STATE_TABLE],
            )
            if not plan.foreign and not plan.own_drops:
                self.engine.execute(f"DROP TABLE {STATE_TABLE}")
