"""`ducky ingest --from postgresql://...`: snapshot the shop's tables into a data directory.

The tables are read through the same temporary, canonical views as `--data postgresql://`
(ducky.engines.postgres.source: the mapping's schema, table, column and event-value names), in one
read-only REPEATABLE READ transaction (the three tables are one consistent snapshot), as
Arrow: ADBC's PostgreSQL driver fetches with binary COPY, no per-row Python. The rows then go
through ingest's checks, quarantine and accounting exactly like a file.

Incremental (`--incremental`): the manifest keeps `pg_watermark`, the latest event timestamp
read that is not in the future; the next run reads events with `timestamp >= watermark` only
(>=: a row written later with the same instant is still found; the row already copied counts as
already_present), plus every event without a timestamp. Why those two rules:

- a row dated in the future (a broken clock, 2099) is quarantined by `timestamp_not_future`;
  were it the watermark, every real event written after it would never be read again, a
  silent loss outside any accounting. It is read (and quarantined) again on each run instead,
  until its time has come;
- `timestamp >= watermark` is never true for NULL: a new event without a timestamp would
  never be read, so it would never be quarantined nor counted. It is read on every run and
  counted as quarantined (`required`) in each run's accounting.

Users and products are re-read whole (small) and merged by key as usual. Exact duplicate rows
(the same user, type, product and instant twice, e.g. two units bought at one checkout in the
generated data: 120 such rows at 10M events) are `duplicates_in_source` like in a file: the copy
holds one of them, and the accounting says so.

The DSN never reaches the manifest or a message: sources are named by `describe(dsn)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ducky.engines.postgres import dsn as dsnlib
from ducky.errors import ConnectionFailed, UserError

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.ingest.records import SourceData

TABLES = ("users", "products", "events")
WATERMARK_KEY = "pg_watermark"


@dataclass
class Snapshot:
    """What one `--from` read brought: per-table Arrow data and timings."""

    description: str
    tables: dict[str, pa.Table] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    since: str | None = None  # the watermark events were read from (incremental)
    # each id kind's type on the source (source.decide_id_types): the views' text or BIGINT
    id_types: dict[str, str] = field(default_factory=dict)
    watermark: str | None = None  # the latest event timestamp now copied

    def rows_per_s(self, table: str) -> float:
        s = self.seconds.get(table, 0.0)
        return self.tables[table].num_rows / s if s > 0 else 0.0


def read_snapshot(dsn: str, mapping: str | None = None, since: str | None = None) -> Snapshot:
    """Read users, products and events (events from `since` on, when given) as Arrow."""
    import psycopg

    from ducky.engines.postgres.source import PgSource, explain_cast_error, view_statements

    source = PgSource(dsn, mapping)
    snap = Snapshot(source.description, since=since)
    # UTC, naive: the events' timestamps are (the views read them in UTC).
    read_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as con:
            views = view_statements(con, source)
        snap.id_types = dict(source.ids or {})
    except psycopg.Error as e:
        msg = dsnlib.scrub(dsnlib.first_line(e), dsn)
        raise ConnectionFailed(f"postgres: cannot read {dsnlib.describe(dsn)}: {msg}") from e
    except UserError:
        raise
    except Exception as e:  # a DSN libpq cannot parse
        msg = dsnlib.scrub(dsnlib.first_line(e), dsn)
        raise ConnectionFailed(f"postgres: invalid DSN ({msg})") from e
    import adbc_driver_postgresql.dbapi as adbc

    try:
        with adbc.connect(dsn, autocommit=True) as conn:
            cur = conn.cursor()
            try:
                cur.execute("SET TimeZone = 'UTC'")
                for sql, _ in views.values():
                    cur.execute(sql)
                # One snapshot for the three tables, and the server refuses any write.
                cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                for t in TABLES:
                    where = ""
                    if t == "events" and since is not None:
                        stamp = dt.datetime.fromisoformat(since).isoformat(sep=" ")
                        where = (
                            f' WHERE "timestamp" >= TIMESTAMP \'{stamp}\' OR "timestamp" IS NULL'
                        )
                    t0 = time.perf_counter()
                    cur.execute(f'SELECT * FROM pg_temp."{t}"{where}')
                    snap.tables[t] = cur.fetch_arrow_table()
                    snap.seconds[t] = time.perf_counter() - t0
                cur.execute("COMMIT")
            finally:
                cur.close()
    except UserError:
        raise
    except Exception as e:  # ADBC's own error types
        msg = explain_cast_error(dsnlib.scrub(dsnlib.first_line(e), dsn), source)
        raise ConnectionFailed(f"postgres: cannot read {dsnlib.describe(dsn)}: {msg}") from e
    snap.watermark = _watermark(snap.tables["events"], since, read_at)
    return snap


def _watermark(events: pa.Table, since: str | None, read_at: dt.datetime) -> str | None:
    """The latest event timestamp that is not in the future (the not_future check's own
    bound: read time + FUTURE_SKEW), never earlier than `since`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ducky.ingest.checks import FUTURE_SKEW

    ts = events.column("timestamp")
    bound = pa.scalar(read_at + FUTURE_SKEW, ts.type)
    latest = pc.max(pc.filter(ts, pc.less_equal(ts, bound))).as_py() if len(ts) else None
    if latest is None:
        return since
    if since is not None and latest < dt.datetime.fromisoformat(since):
        return since
    return str(latest.isoformat())


def source_data(snap: Snapshot, table: str) -> SourceData:
    """One table of a snapshot as ingest's SourceData (named without any password)."""
    import numpy as np

    from ducky.ingest.records import SourceData

    data = snap.tables[table]
    since = f" (timestamp >= {snap.since})" if table == "events" and snap.since else ""
    name = f"{snap.description} {table}{since}"
    # The quarantine file is named by this digest: same source and rows -> same file.
    h = hashlib.sha256(name.encode())
    h.update(str(data.num_rows).encode())
    if data.num_rows:
        h.update(data.slice(0, 1).to_string().encode())
        h.update(data.slice(data.num_rows - 1, 1).to_string().encode())
    rec = np.arange(1, data.num_rows + 1, dtype=np.int64)
    return SourceData(table, name, "postgres", data, rec, h.hexdigest())


def previous_watermark(data_path: Any) -> str | None:
    from ducky.datasets import DataDir

    dd = DataDir(data_path)
    if not dd.manifest_path.is_file():
        return None
    value = dd.manifest().extra.get(WATERMARK_KEY)
    return str(value) if value else None


# Sources handed to the pipeline by name (`pg:<n>:<table>`): the snapshot stays here, so
# neither the DSN nor the rows travel through the sources dict the manifest records.
_SNAPSHOTS: dict[str, Snapshot] = {}


def register(snap: Snapshot) -> dict[str, str]:
    """table -> source spec for run_ingest; read back by `read_registered`."""
    key = str(len(_SNAPSHOTS))
    _SNAPSHOTS[key] = snap
    return {t: f"pg:{key}:{t}" for t in TABLES}


def is_registered(spec: str) -> bool:
    return spec.startswith("pg:") and spec.split(":")[1] in _SNAPSHOTS


def read_registered(spec: str) -> SourceData:
    _, key, table = spec.split(":", 2)
    return source_data(_SNAPSHOTS[key], table)


def snapshot_sources(
    url: str | None,
    mapping: Any,
    incremental: bool,
    data_path: Any,
    other: dict[str, str],
) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """For the ingest CLI: (sources for run_ingest, manifest extra, report section)."""
    if url is None:
        raise UserError("--incremental needs --from postgresql://...")
    if not dsnlib.is_pg_url(url):
        raise UserError("--from takes a postgresql:// URL")
    if other:
        raise UserError("--from reads users, products and events itself: drop --users etc.")
    since = previous_watermark(data_path) if incremental else None
    snap = read_snapshot(url, str(mapping) if mapping else None, since)
    report = {
        "source": snap.description,
        "since": snap.since,
        "watermark": snap.watermark,
        "id_types": snap.id_types,
        "tables": {
            t: {
                "rows": snap.tables[t].num_rows,
                "seconds": round(snap.seconds[t], 4),
                "rows_per_s": round(snap.rows_per_s(t), 1),
            }
            for t in TABLES
        },
    }
    extra = {WATERMARK_KEY: snap.watermark} if snap.watermark else {}
    return register(snap), extra, report
