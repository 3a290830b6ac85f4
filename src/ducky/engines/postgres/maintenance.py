"""What a maintained rollup costs the writers: INSERT throughput with and without its trigger.

The sample is the latest `rows` events shifted one day later (the same users coming back the
next day, partly into a new week: the shape of a shop app's writes), copied into a temporary
table first so the timed statement is only `INSERT INTO events SELECT ... FROM sample`.
Each timed insert runs in a transaction that is rolled back, so the data and the rollups are
unchanged afterwards; between runs only the measured rollup's insert trigger is enabled (or
none), so the figure is that rollup's own cost. VACUUM afterwards clears the rolled-back rows.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

from ducky.engines.postgres.rollups import TRIGGERS
from ducky.rollups import TABLES

if TYPE_CHECKING:
    from ducky.engines.postgres import PostgresEngine

SAMPLE = "ducky_insert_sample"
COLUMNS = '"user_id", "event_type", "product_id", "timestamp"'


def _insert_triggers(eng: PostgresEngine) -> list[str]:
    rows = eng.run(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass "
        "AND NOT tgisinternal AND tgenabled <> 'D' AND tgname LIKE 'ducky\\_rollup\\_%\\_insert'"
    ).to_pylist()
    return sorted(r["tgname"] for r in rows)


def _timed_insert(eng: PostgresEngine, enabled: str | None, live: list[str]) -> float:
    with eng.con.transaction(force_rollback=True):
        for name in live:
            if name != enabled:
                eng.execute(f"ALTER TABLE events DISABLE TRIGGER {name}")
        t0 = time.perf_counter()
        eng.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM {SAMPLE}")
        return time.perf_counter() - t0


def measure_insert_cost(
    eng: PostgresEngine, query: str, rows: int = 100_000, repeat: int = 3
) -> dict[str, Any]:
    """Median seconds to INSERT `rows` events without any rollup trigger and with `query`'s
    insert trigger only, rows/s of each, and the per-row overhead. Needs the rollup built."""
    trigger = TRIGGERS[query][0][0]
    live = _insert_triggers(eng)
    if trigger not in live:
        from ducky.errors import UserError

        raise UserError(f"the {query} rollup's insert trigger is not installed: build it first")
    eng.execute(f"DROP TABLE IF EXISTS pg_temp.{SAMPLE}")
    eng.execute(
        f"CREATE TEMP TABLE {SAMPLE} AS SELECT user_id, event_type, product_id, "
        '"timestamp" + INTERVAL \'1 day\' AS "timestamp" '
        f'FROM events ORDER BY "timestamp" DESC LIMIT {int(rows)}'
    )
    n = int(eng.run(f"SELECT COUNT(*) FROM {SAMPLE}").column(0)[0].as_py())
    # Every index on events is maintained by both inserts alike; say which ones there were.
    indexes = sorted(
        r["indexname"]
        for r in eng.run(
            "SELECT indexname FROM pg_indexes "
            "WHERE tablename = 'events' AND schemaname = current_schema()"
        ).to_pylist()
    )
    plain: list[float] = []
    with_trigger: list[float] = []
    for _ in range(repeat):  # interleaved, so drift on a shared machine hits both alike
        plain.append(_timed_insert(eng, None, live))
        with_trigger.append(_timed_insert(eng, trigger, live))
    eng.execute(f"DROP TABLE IF EXISTS pg_temp.{SAMPLE}")
    # The rolled-back rows are dead tuples; clear them so later index-only scans stay heap-free.
    eng.execute(f"VACUUM (ANALYZE) events, {', '.join(TABLES[query])}")
    base, trig = statistics.median(plain), statistics.median(with_trigger)
    return {
        "rows": n,
        "repeat": repeat,
        "without_trigger_s": round(base, 6),
        "with_trigger_s": round(trig, 6),
        "without_trigger_rows_per_s": round(n / base, 1) if base > 0 else None,
        "with_trigger_rows_per_s": round(n / trig, 1) if trig > 0 else None,
        "overhead_us_per_row": round((trig - base) / n * 1e6, 3) if n else None,
        "slowdown": round(trig / base, 3) if base > 0 else None,
        "indexes_on_events": indexes,
        "sample": "latest events shifted one day later; each insert rolled back",
    }
