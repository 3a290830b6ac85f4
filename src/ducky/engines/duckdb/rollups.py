"""Rollups in DuckDB's native database file (`<data>/.ducky/duckdb/ducky.duckdb`).

DuckDB's native tables are copies of the Parquet files, recreated from them by every load, so
new events only ever arrive as a new data directory: nothing to maintain incrementally. A
rollup is fresh while the data directory's fingerprint (path, manifest time, row counts) is
the one it was built from; otherwise it is stale until `ducky rollup refresh -e duckdb`.
The build is `sql/<query>/rollup.setup.sql` (the bench's DuckDB rollup) in one transaction.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ducky.rollups import BOUNDS_TABLE, SOURCES, STATE_TABLE, TABLES, RollupStatus

# Tables only DuckDB's rollups build (sql/<query>/rollup.setup.sql); PostgreSQL's trigger-
# maintained rollups keep the shared list. revenue: totals per category for the common
# no-date-range question, so it does not count distinct buyers over every (day, buyer) row.
# cohort: each signup month's size and last signup (sql/cohort/rollup.duckdb.sql reads it
# instead of grouping every user). A file built before it existed reads as stale (table
# missing) until `ducky rollup refresh cohort -e duckdb`.
DUCKDB_ONLY: dict[str, tuple[str, ...]] = {
    "revenue": ("rollup_category_totals",),
    "cohort": ("rollup_cohort_sizes",),
}

if TYPE_CHECKING:
    from ducky.engines.base import StageTiming
    from ducky.engines.duckdb import DuckDBEngine

STATE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (query VARCHAR PRIMARY KEY, "
    "fingerprint VARCHAR NOT NULL, built_at TIMESTAMP NOT NULL, build_s DOUBLE NOT NULL)"
)


class DuckDBRollups:
    """The rollups kept in one DuckDB native database file."""

    def __init__(self, engine: DuckDBEngine) -> None:
        self.engine = engine

    @property
    def engine_label(self) -> str:
        return f"duckdb ({self.engine.native_path()})"

    def _tables(self) -> set[str]:
        # rows(), not run(): no Arrow (pyarrow and numpy) on a rollup answer's path
        rows = self.engine.rows("SELECT table_name FROM duckdb_tables()")
        return {r["table_name"] for r in rows}

    @staticmethod
    def tables(query: str) -> tuple[str, ...]:
        """The rollup's tables here: the shared list plus DuckDB-only ones (see DUCKDB_ONLY)."""
        return TABLES[query] + DUCKDB_ONLY.get(query, ())

    def status(self, query: str, detail: bool = True) -> RollupStatus:
        """Fresh, stale or missing; `detail` adds rows and bytes (a COUNT over the base
        table: left out on the query path, where only freshness matters)."""
        st = RollupStatus(query, "duckdb", "missing", tables=list(self.tables(query)))
        have = self._tables()
        present = [t for t in self.tables(query) if t in have]
        if self.tables(query)[0] in present and detail:
            n = self.engine.rows(f"SELECT COUNT(*) AS n FROM {self.tables(query)[0]}")
            st.rows = int(n[0]["n"])
            st.size_note = self._size_note()
        row: dict[str, Any] | None = None
        if STATE_TABLE in have:
            rows = self.engine.rows(
                "SELECT fingerprint, strftime(built_at, '%Y-%m-%dT%H:%M:%SZ') AS built, build_s "
                f"FROM {STATE_TABLE} WHERE query = '{query}'"
            )
            row = rows[0] if rows else None
        if row is None:
            own = self.tables(query)[0] in present  # the shared bounds table does not count
            st.reason = "built without ducky's rollup state" if own else "never built"
            return st
        st.built_at, st.build_s = row["built"], float(row["build_s"])
        missing = [t for t in self.tables(query) if t not in present]
        st.state = "stale"
        if row["fingerprint"] != self.engine.data_fingerprint():
            st.reason = "the data directory changed since the build"
        elif missing:
            st.reason = f"table(s) {', '.join(missing)} missing"
        else:
            st.state, st.reason = "fresh", None
        return st

    def _size_note(self) -> str:
        # DuckDB keeps no byte count per table: small tables share 256 KiB blocks, so counting
        # a table's blocks would give a 19-row table a quarter megabyte. The whole database's
        # used blocks are exact (the file on disk may lag: recent writes sit in the WAL).
        rows = self.engine.rows(
            "SELECT block_size * used_blocks AS b FROM pragma_database_size() "
            "WHERE database_name = current_database()"
        )
        size = int(rows[0]["b"]) if rows else 0
        return (
            f"DuckDB reports no size per table; the native file {self.engine.native_path()}, "
            f"the copied tables and every rollup together, holds {size / 1e6:,.1f} MB"
        )

    def build(self, query: str) -> list[StageTiming]:
        from ducky.engines.base import setup_statements

        eng = self.engine
        have = self._tables()
        if any(t not in have for t in SOURCES[query]):
            eng.load()  # the native file has no tables yet: copy them from Parquet
        fp = eng.data_fingerprint()
        t0 = time.perf_counter()
        eng.execute("BEGIN TRANSACTION")
        try:
            eng.execute(STATE_DDL)
            stages = eng.run_setup(setup_statements(query, "rollup", "duckdb"))
            secs = time.perf_counter() - t0
            eng.execute(f"DELETE FROM {STATE_TABLE} WHERE query = '{query}'")
            eng.con.execute(
                f"INSERT INTO {STATE_TABLE} VALUES (?, ?, now()::TIMESTAMP, ?)", [query, fp, secs]
            )
            eng.execute("COMMIT")
        except BaseException:
            eng.execute("ROLLBACK")
            raise
        # Into the file now rather than at close (the same work): the size a status reports
        # right after a build counts the file's blocks, which a WAL-only write leaves out.
        eng.execute("CHECKPOINT")
        return stages

    def drop(self, query: str) -> bool:
        eng = self.engine
        had = self.status(query)
        existed = had.state != "missing" or had.rows is not None
        keep_bounds = any(
            q != query and BOUNDS_TABLE in self.tables(query) and self.status(q).state != "missing"
            for q in ("wau", "cohort")
        )
        for t in self.tables(query):
            if not (t == BOUNDS_TABLE and keep_bounds):
                eng.execute(f"DROP TABLE IF EXISTS {t}")
        if STATE_TABLE in self._tables():
            eng.execute(f"DELETE FROM {STATE_TABLE} WHERE query = '{query}'")
        return existed
