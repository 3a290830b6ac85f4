"""DuckDB full-scan SQL chosen when the query is rendered, from what the data holds.

The canonical `optimized.sql` texts must answer on any data without knowing it in advance, so
they pay for generality: distinct users as 256-id blocks (any id range), the dataset's first and
last day from a second scan of `timestamp`, COUNT(DISTINCT order_id) even when the files have no
order ids, and decimal arithmetic over NULL quantity/amount/currency columns. The DuckDB engine
knows the data directory when it renders, so for `wau` and `revenue` (variant `optimized`) it
reads, from Parquet footers only (DuckDB's `parquet_metadata`/`parquet_schema`, a few ms):

- which optional event columns the files hold (order_id, quantity, amount, currency);
- the exact min/max `user_id` over every row group, when `user_id` is an integer column and
  every row group has statistics: distinct users become ONE bitstring per group
  (`BIT_COUNT(BITSTRING_AGG(user_id, lo, hi))`), no hashing of users at all;
- the exact min/max `timestamp`, so WAU's first/last day are constants (no second scan).

Every shortcut has a fallback to the general text: string ids, missing statistics, or an id
range too wide for a bitstring per group (sparse ids) keep the canonical SQL's shape (for ids
of a known type only the branch of it that applies: blocks for integers, COUNT(DISTINCT) for
strings), except WAU, which counts string and sparse ids by one mask of active weeks per user
while the timestamp statistics bound the weeks (_mask_weekly), each string user keyed by its
64-bit hash where the manifest shows that no two ids share one (idhash.py). The
answers are the same rows by the same definition (METRICS.md);
tests/engines/duckdb/test_fast_paths.py checks each shape against the baseline. The bounds are
bound as literals by sqlglot (like every parameter); the fragments chosen below are fixed SQL
text, never data (the masks' week numbers and counts are Python ints formatted into it).

If the data changes between rendering and running (a concurrent ingest) so that an id falls
outside [lo, hi], BITSTRING_AGG raises an error ("out of range"), and a text that keys users
by their hash checks the files' listing against the fact it relies on (idhash.GUARD): the
query fails loudly, it never counts wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ducky.errors import DataDirError
from ducky.schema import DEFAULT_CURRENCY

if TYPE_CHECKING:
    import duckdb
    from sqlglot.dialects.dialect import Dialect

    from ducky.datasets import DataDir


class DuckDBEngine(Protocol):
    """What this module reads of the DuckDB engine (engine.py calls in, never the other way,
    so the two files make no import circle)."""

    datadir: DataDir
    _present: dict[str, list[str]]  # present_columns as of the last load()

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...

    def present_columns(self, table: str) -> list[str]: ...

    def _writer_key(self) -> str: ...

    def sql_dialect(self) -> Dialect: ...


_INT_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT")
# Memory bounds for one bitstring per group (per thread: each keeps its own states).
WAU_MAX_BITS = 1 << 30  # id range x weeks: 128 MiB of bits
REVENUE_MAX_RANGE = 1 << 23  # id range per (category, currency) group: 1 MiB each
COHORT_MAX_RANGE = 1 << 22  # id range per (cohort, week) cell: 512 KiB each
# Weeks a per-user mask path covers (64 per UBIGINT mask; 256 weeks is ~4.9 years). Beyond it,
# the general text.
WAU_MAX_MASK_WEEKS = 256


@dataclass(frozen=True)
class Facts:
    """What the events files hold, from their footers."""

    columns: frozenset[str]
    uid_bounds: tuple[int, int] | None  # integer ids, exact over every row group
    days: tuple[dt.date, dt.date] | None  # UTC days of the first and last event
    users_rows: int | None = None  # rows in the users files (footers), if it has any
    uid_type: str | None = None  # DuckDB type of events.user_id (DESCRIBE), if known
    ts_no_nulls: bool = False  # every row group's statistics count no NULL timestamp
    uid_no_nulls: bool = False  # ... and no NULL user_id
    # the manifest's idhash fact holds for these files: idhash.GUARD's parameters
    uid_hash_guard: dict[str, Any] | None = None


def read_facts(engine: DuckDBEngine) -> Facts:
    con = engine.con
    glob = engine.datadir.table_glob("events").replace("'", "''")
    columns = frozenset(engine.present_columns("events"))
    described = con.execute("SELECT column_name, column_type FROM (DESCRIBE events)")
    types = {str(r[0]): str(r[1]) for r in described.fetchall()}
    # Per column over every row group of every file: how many row groups, how many hold only
    # NULLs, how many hold none, how many have a readable min/max (as integer, as timestamp),
    # and the extremes.
    stats = {
        str(r[1]): r
        for r in con.execute(
            f"""
            WITH m AS (SELECT * FROM parquet_metadata('{glob}'))
            SELECT
                (SELECT COUNT(*) FROM (SELECT DISTINCT file_name, row_group_id FROM m)),
                path_in_schema,
                COUNT(*),
                COUNT(*) FILTER (WHERE stats_null_count = num_values),
                COUNT(*) FILTER (WHERE stats_null_count = 0),
                LEAST(COUNT(TRY_CAST(stats_min_value AS BIGINT)),
                      COUNT(TRY_CAST(stats_max_value AS BIGINT))),
                MIN(TRY_CAST(stats_min_value AS BIGINT)),
                MAX(TRY_CAST(stats_max_value AS BIGINT)),
                LEAST(COUNT(TRY_CAST(stats_min_value AS TIMESTAMP)),
                      COUNT(TRY_CAST(stats_max_value AS TIMESTAMP))),
                CAST(MIN(TRY_CAST(stats_min_value AS TIMESTAMP)) AS DATE),
                CAST(MAX(TRY_CAST(stats_max_value AS TIMESTAMP)) AS DATE)
            FROM m
            GROUP BY path_in_schema
            """
        ).fetchall()
    }

    def complete(col: str, i: int) -> bool:
        # a bound holds only when every row group of every file has the statistic
        r = stats.get(col)
        return r is not None and r[0] > 0 and r[2] == r[0] and r[i] == r[0]

    uid = None
    if types.get("user_id") in _INT_TYPES and complete("user_id", 5):
        uid = (int(stats["user_id"][6]), int(stats["user_id"][7]))
    days = None
    if types.get("timestamp") == "TIMESTAMP" and complete("timestamp", 8):
        days = (stats["timestamp"][9], stats["timestamp"][10])
    ts_no_nulls = complete("timestamp", 4)
    uid_no_nulls = complete("user_id", 4)
    # An optional column whose every row group counts only NULLs is as good as absent (files
    # written with the full schema but no orders): its COALESCEs and COUNT(DISTINCT) go too.
    all_null = {c for c in ("order_id", "quantity", "amount", "currency") if complete(c, 3)}
    columns = columns - all_null
    users_rows = None
    if engine.datadir.has_table("users"):
        users = engine.datadir.table_glob("users").replace("'", "''")
        n = con.execute(
            "SELECT SUM(row_group_num_rows) FROM (SELECT DISTINCT file_name, row_group_id, "
            f"row_group_num_rows FROM parquet_metadata('{users}'))"
        ).fetchall()[0][0]
        users_rows = int(n) if n is not None else None
    from ducky.engines.duckdb import idhash

    try:
        hash_guard = idhash.guard_params(engine.datadir, engine.datadir.manifest().extra)
    except DataDirError:
        hash_guard = None  # no readable manifest: no fact
    return Facts(
        columns,
        uid,
        days,
        users_rows,
        types.get("user_id"),
        ts_no_nulls,
        uid_no_nulls,
        hash_guard,
    )


def _files_stamp(engine: DuckDBEngine) -> str | None:
    """What the facts depend on, from stat() only: every events and users file's name, size and
    modification time (as DataDir's validation stamp), and the manifest's (idhash's fact). None:
    a file could not be stat'ed."""
    import hashlib

    dd = engine.datadir
    h = hashlib.sha256(f"{dd.path.resolve()}|{engine._present.get('events')}".encode())
    try:
        for t in ("events", "users"):
            for p in dd.table_files(t):
                st = p.stat()
                h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        st = dd.manifest_path.stat()
        h.update(f"manifest|{st.st_size}|{st.st_mtime_ns}\n".encode())
    except OSError:
        return None
    return h.hexdigest()


def cached_facts(engine: DuckDBEngine) -> Facts:
    """read_facts, kept in the rendered-SQL cache under a stat-only stamp of the files: a
    `ducky query` on unchanged data reads no footer statistics (~30 ms of a CLI call). A
    rewritten, added or removed file changes the stamp, and the facts are read afresh."""
    import json

    import duckdb

    from ducky.sql.catalog import render_cache_get, render_cache_key, render_cache_put

    stamp = _files_stamp(engine)
    # the engine package's file times: a change to how facts are read reads them afresh; and
    # DuckDB's version, which idhash's fact is about (another version may hash differently)
    key = (
        render_cache_key("duckdb-facts", stamp, engine._writer_key(), duckdb.__version__)
        if stamp
        else None
    )
    hit = render_cache_get(key) if key else None
    if hit is not None:
        try:
            d = json.loads(hit)
            lo_hi, first_last = d["uid_bounds"], d["days"]
            uid = (int(lo_hi[0]), int(lo_hi[1])) if lo_hi else None
            days = (
                (dt.date.fromisoformat(first_last[0]), dt.date.fromisoformat(first_last[1]))
                if first_last
                else None
            )
            users = int(d["users_rows"]) if d["users_rows"] is not None else None
            uid_type = str(d["uid_type"]) if d["uid_type"] is not None else None
            return Facts(
                frozenset(d["columns"]),
                uid,
                days,
                users,
                uid_type,
                bool(d["ts_no_nulls"]),
                bool(d["uid_no_nulls"]),
                dict(d["uid_hash_guard"]) if d["uid_hash_guard"] is not None else None,
            )
        except (ValueError, KeyError, TypeError):
            pass  # an unreadable entry: read the footers again
    facts = read_facts(engine)
    if key:
        doc = {
            "columns": sorted(facts.columns),
            "uid_bounds": list(facts.uid_bounds) if facts.uid_bounds else None,
            "days": [d.isoformat() for d in facts.days] if facts.days else None,
            "users_rows": facts.users_rows,
            "uid_type": facts.uid_type,
            "ts_no_nulls": facts.ts_no_nulls,
            "uid_no_nulls": facts.uid_no_nulls,
            "uid_hash_guard": facts.uid_hash_guard,
        }
        render_cache_put(key, json.dumps(doc))
    return facts


def render(engine: DuckDBEngine, query: str, params: dict[str, Any]) -> str | None:
    """The fast text for `query` (variant optimized) on this data, or None (use the canonical
    text)."""
    if query not in ("wau", "revenue", "cohort"):
        return None
    facts = cached_facts(engine)
    if query == "wau":
        text, extra = wau_sql(facts)
    elif query == "cohort":
        text, extra = cohort_sql(facts)
    else:
        text, extra = revenue_sql(facts)
    if text is None:
        return None
    return _render_text(engine, query, text, params, extra)


def _render_text(
    engine: DuckDBEngine, query: str, text: str, params: dict[str, Any], extra: dict[str, Any]
) -> str:
    """Bind the parameters (sqlglot literals), cached on disk like the canonical renders."""
    from ducky import sql as canonical_sql
    from ducky.sql.catalog import render_cache_get, render_cache_key, render_cache_put

    values = {**canonical_sql.bind_parameters(query, params), **extra}
    key = render_cache_key(
        query, "fast", "duckdb", engine._writer_key(), text, "duckdb", values, True
    )
    hit = render_cache_get(key)
    if hit is not None:
        return hit
    out = canonical_sql.transpile(text, read="duckdb", write=engine.sql_dialect(), params=values)
    render_cache_put(key, out)
    return out


# -- WAU ---------------------------------------------------------------------------------------
# The ISO week (Monday 00:00 UTC) of an event as a number: week 0 starts on Monday 1969-12-29, so
# week_no = floor((epoch_us + 3 days) / 1 week). Computed as one DOUBLE division instead of the
# canonical text's BIGINT `//` (an integer division per event, and a 100,000-week shift to keep
# the truncating `//` a floor): 1 week = 8192 x 73,828,125 us and 3 days = 8192 x 31,640,625 us,
# so with y = epoch_us >> 13 (an arithmetic shift: floor(epoch_us / 8192), also below zero),
# floor(epoch_us + 3 days, 1 week) = floor((y + 31640625) / 73828125) exactly (floor(floor(x)/w)
# = floor(x/w) for an integer w). y + 31640625 < 2^51 for every DuckDB timestamp, so its DOUBLE is
# exact, and the correctly rounded quotient q = n/w of an integer n lands on the wrong side of an
# integer k only if 1/w < ulp(k) / 2, i.e. |k| > 2^53 / 73828125 (1.2e8 weeks, 2.3 million
# years; DuckDB timestamps end at 294,247 AD). Held to DATE_TRUNC('week') from 290,309 BC to
# 294,247 AD, across 1970 and around week boundaries: tests/engines/duckdb/test_fast_paths.py.
_WEEK_NO = 'FLOOR(CAST((EPOCH_US("timestamp") >> 13) + 31640625 AS DOUBLE) / 73828125)'
_INT_TEST = "TYPEOF(user_id) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT')"
# The UTC day of an event the same way (cohort): 1 day = 8192 x 10,546,875 us, exact while
# |day| < 2^53 / 10546875 (8.5e8 days; DuckDB's timestamps span +-1.07e8). As a BIGINT, like
# the canonical `//` it replaces (a DOUBLE day would make the week `//` a float division).
_DAY_NO = 'CAST(FLOOR(CAST(EPOCH_US("timestamp") >> 13 AS DOUBLE) / 10546875) AS BIGINT)'
_CANONICAL_DAY_NO = '(EPOCH_US("timestamp") + 10000000 * 86400000000) // 86400000000 - 10000000'


def _week_of(day: dt.date) -> int:
    """_WEEK_NO of any timestamp on `day`: floor((days since 1970-01-01 + 3) / 7)."""
    return ((day - dt.date(1970, 1, 1)).days + 3) // 7


def _mask_weekly(first_week: int, weeks: int, key: str = "user_id") -> str:
    """`weekly` from one UBIGINT bit mask of active weeks per user: any id type, one hash
    aggregate keyed by the user alone (no (week, user) pairs), then each week's users as the
    count of masks with its bit set. Week k (0-based from the first week of the statistics)
    is bit k % 64 of mask k // 64. Every bit of every mask is counted, not only the `weeks` the
    statistics gave, so an event in a later week that still fits the masks (data rewritten
    since the render) is counted in its week. Past the masks the shift overflows, and a week
    before the first fails the UBIGINT cast: the query fails loudly, it never counts wrong.
    `key`: what identifies a user, `user_id` or idhash.HASH where the manifest shows that no two
    ids share a hash (a UBIGINT key instead of a string: 3.6 s vs 5.1 s at 100M string ids)."""
    chunks = (weeks + 63) // 64
    masks = []
    for j in range(chunks):
        if chunks == 1:
            masks.append("BIT_OR(CAST(1 AS UBIGINT) << week_idx) AS m0")
        elif j < chunks - 1:
            masks.append(
                f"BIT_OR(CAST(1 AS UBIGINT) << (week_idx & 63)) "
                f"FILTER (WHERE week_idx >> 6 = {j}) AS m{j}"
            )
        else:  # the last mask is unbounded above, so a week past the range still overflows
            masks.append(
                f"BIT_OR(CAST(1 AS UBIGINT) << GREATEST(CAST(week_idx AS BIGINT) - {64 * j}, 0))"
                f" FILTER (WHERE week_idx >= {64 * j}) AS m{j}"
            )
    counts = ",\n            ".join(
        f"SUM(CAST((m{k // 64} >> {k % 64}) & 1 AS INTEGER))" for k in range(64 * chunks)
    )
    mask_cols = ",\n        ".join(masks)
    return f"""
masks AS (
    SELECT
        {mask_cols}
    FROM (
        SELECT {key} AS uid, CAST(week_no - {first_week} AS UBIGINT) AS week_idx FROM picked
    )
    GROUP BY uid
),
per_week AS (
    SELECT
        UNNEST(RANGE({64 * chunks})) AS week_idx,
        UNNEST([
            {counts}
        ]) AS active_users
    FROM masks
),
weekly AS (
    SELECT {first_week} + week_idx AS week_no, active_users
    FROM per_week
    WHERE active_users > 0
),"""


def wau_sql(f: Facts) -> tuple[str | None, dict[str, Any]]:
    """WAU as in sql/wau/optimized.sql with the week number as one exact DOUBLE division
    (_WEEK_NO) and the complete flag from the timestamp statistics. Distinct users per week:
    dense integer ids (id statistics) give one bitstring per week bounded by them; otherwise,
    when the statistics bound the weeks (at most WAU_MAX_MASK_WEEKS) and count no NULL
    timestamp or user, one mask of active weeks per user (_mask_weekly; sparse integer ids 0.18 s vs
    0.35 s for 256-id blocks at 10M events, 2.6 s vs 6.1 s at 100M; string ids 0.28 s vs
    0.30 s for COUNT(DISTINCT) per week at 10M, 4.9 s vs 5.2 s at 100M: docs/BENCHMARKS.md);
    otherwise the canonical blocks for integer ids and a plain COUNT(DISTINCT) per week for
    other ids (measured faster than the canonical text's UNION ALL of both branches)."""
    extra: dict[str, Any] = {}
    bits = False
    weeks = 0
    unchanged = ""  # idhash.GUARD where users are keyed by their hash
    if f.days is not None:
        weeks = _week_of(f.days[1]) - _week_of(f.days[0]) + 1
    if f.uid_bounds is not None and f.days is not None:
        lo, hi = f.uid_bounds
        bits = (hi - lo + 1) * (weeks + 1) <= WAU_MAX_BITS
    if f.uid_type is None and f.days is None:
        return None, extra  # nothing known to gain over the canonical text
    if bits:
        assert f.uid_bounds is not None
        extra["fast_uid_lo"], extra["fast_uid_hi"] = f.uid_bounds
        weekly = """
weekly AS (
    SELECT
        week_no,
        -- 0, not NULL, for a week whose every event has a NULL user (as COUNT(DISTINCT) gives)
        COALESCE(BIT_COUNT(BITSTRING_AGG(user_id, :fast_uid_lo, :fast_uid_hi)), 0) AS active_users
    FROM picked
    GROUP BY week_no
),"""
    elif f.days is not None and weeks <= WAU_MAX_MASK_WEEKS and f.ts_no_nulls and f.uid_no_nulls:
        # (a NULL timestamp is a NULL week of its own in the canonical text, and a NULL user
        # no user at all; masks would drop the one and count the other)
        from ducky.engines.duckdb.idhash import GUARD, HASH

        key = "user_id"
        if f.uid_hash_guard is not None and f.uid_type not in _INT_TYPES:
            key = HASH
            extra.update(f.uid_hash_guard)
            unchanged = f"\n      AND {GUARD}"
        weekly = _mask_weekly(_week_of(f.days[0]), weeks, key)
    elif f.uid_type in _INT_TYPES:
        # sparse integer ids or no statistics: the canonical 256-id blocks
        weekly = """
int_blocks AS (
    SELECT week_no, user_id >> 8 AS block, BITSTRING_AGG(user_id & 255, 0, 255) AS members
    FROM picked
    GROUP BY 1, 2
),
weekly AS (
    SELECT week_no, COALESCE(SUM(BIT_COUNT(members)), 0) AS active_users
    FROM int_blocks
    GROUP BY week_no
),"""
    elif f.uid_type is not None:
        # string (or other non-integer) ids: what the canonical text's typeof() test leaves
        weekly = """
weekly AS (
    SELECT week_no, COUNT(DISTINCT user_id) AS active_users
    FROM picked
    GROUP BY week_no
),"""
    else:
        # type unknown: the canonical blocks / COUNT(DISTINCT) branches
        weekly = f"""
int_blocks AS (
    SELECT
        week_no,
        TRY_CAST(user_id AS BIGINT) >> 8 AS block,
        BITSTRING_AGG(TRY_CAST(user_id AS BIGINT) & 255, 0, 255) AS members
    FROM picked
    WHERE {_INT_TEST}
    GROUP BY 1, 2
),
weekly AS (
    SELECT week_no, COALESCE(SUM(BIT_COUNT(members)), 0) AS active_users
    FROM int_blocks
    GROUP BY week_no
    UNION ALL
    SELECT week_no, COUNT(DISTINCT user_id) AS active_users
    FROM picked
    WHERE NOT ({_INT_TEST})
    GROUP BY week_no
),"""
    if f.days is not None:
        extra["fast_first_day"], extra["fast_last_day"] = f.days
        bounds = """bounds AS (
    SELECT CAST(:fast_first_day AS DATE) AS first_day, CAST(:fast_last_day AS DATE) AS last_day
),"""
    else:
        bounds = """bounds AS (
    SELECT CAST(MIN("timestamp") AS DATE) AS first_day, CAST(MAX("timestamp") AS DATE) AS last_day
    FROM events
),"""
    text = f"""
WITH {bounds}
picked AS (
    SELECT {_WEEK_NO} AS week_no, user_id
    FROM events
    WHERE (:event_type IS NULL OR event_type = :event_type){unchanged}
),{weekly}
dated AS (
    SELECT
        CAST(DATE '1969-12-29' + TO_DAYS(CAST(7 * week_no AS INTEGER)) AS DATE) AS week_start,
        active_users
    FROM weekly
)
SELECT
    w.week_start,
    CAST(w.active_users AS BIGINT) AS active_users,
    (w.week_start >= b.first_day AND DATE_DIFF('day', w.week_start, b.last_day) >= 6) AS complete
FROM dated AS w
CROSS JOIN bounds AS b
ORDER BY w.week_start
"""
    return text, extra


# -- revenue -----------------------------------------------------------------------------------
def revenue_sql(f: Facts) -> tuple[str | None, dict[str, Any]]:
    """Revenue as in sql/revenue/optimized.sql, written for the columns the files hold: an
    absent order_id makes `orders` = purchases (each purchase its own order) without a
    COUNT(DISTINCT); absent amount/quantity/currency drop their COALESCEs (and the wide
    decimal they cost); integer ids with statistics count buyers as one bitstring per group.

    The purchases are grouped by a category NUMBER (an integer key; the names are joined to
    the ~20 result rows afterwards): 0 is the 'unknown' group of METRICS.md (a purchase
    without a product, of a product the catalog lacks, of a product without a category, or of
    one whose category is named 'unknown': COALESCE(category, 'unknown') puts all of them in
    one row), every other name its DENSE_RANK among the catalog's names. Without a currency
    column every purchase is in the default currency, so the currency is not a grouping key
    but a constant of the result. String ids count buyers with a plain COUNT(DISTINCT)
    (measured faster than ranking the users into bits: docs/BENCHMARKS.md), of their hashes
    where the manifest shows that no two ids share one."""
    cols = f.columns
    extra: dict[str, Any] = {"fast_default_currency": DEFAULT_CURRENCY}
    if "amount" in cols and "quantity" in cols:
        line = "COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)"
    elif "amount" in cols:
        line = "COALESCE(e.amount, p.price)"
    elif "quantity" in cols:
        line = "COALESCE(e.quantity, 1) * p.price"
    else:
        line = "p.price"
    if "currency" in cols:
        currency_key = "\n        COALESCE(e.currency, :fast_default_currency) AS currency,"
        group_by = "1, 2"
        currency = "g.currency"
    else:
        currency_key = ""
        group_by = "1"
        currency = "CAST(:fast_default_currency AS VARCHAR)"
    orders = (
        "COUNT(DISTINCT e.order_id) + COUNT(*) - COUNT(e.order_id)"
        if "order_id" in cols
        else "COUNT(*)"
    )
    buyers = "COUNT(DISTINCT e.user_id)"
    unchanged = ""
    if f.uid_hash_guard is not None and f.uid_no_nulls and f.uid_type not in _INT_TYPES:
        # string ids whose hashes the writer found distinct (idhash.py): an 8-byte key per
        # purchase instead of a string (10M string ids: 0.044 s vs 0.050 s). Not where a NULL
        # user could be: hash(NULL) is a value, COUNT(DISTINCT) would count it.
        from ducky.engines.duckdb.idhash import GUARD, hash_of

        buyers = f"COUNT(DISTINCT {hash_of('e.user_id')})"
        extra.update(f.uid_hash_guard)
        unchanged = f"\n      AND {GUARD}"
    if f.uid_bounds is not None and f.uid_bounds[1] - f.uid_bounds[0] < REVENUE_MAX_RANGE:
        extra["fast_uid_lo"], extra["fast_uid_hi"] = f.uid_bounds
        buyers = "BIT_COUNT(BITSTRING_AGG(e.user_id, :fast_uid_lo, :fast_uid_hi))"
    picked = ", ".join(
        [
            "user_id",
            "product_id",
            *(c for c in ("order_id", "quantity", "amount", "currency") if c in cols),
        ]
    )
    text = f"""
WITH purchases AS (
    SELECT {picked}
    FROM events
    WHERE event_type = 'purchased'
      AND (:date_from IS NULL OR "timestamp" >= CAST(:date_from AS TIMESTAMP))
      AND (:date_to IS NULL OR "timestamp" < CAST(:date_to AS TIMESTAMP)){unchanged}
),
catalog AS (
    SELECT
        product_id,
        price,
        category,
        CASE
            WHEN category IS NULL OR category = 'unknown' THEN 0
            ELSE DENSE_RANK() OVER (ORDER BY category)
        END AS category_no
    FROM products
),
names AS (
    SELECT category_no, ANY_VALUE(category) AS category
    FROM catalog
    WHERE category_no > 0
    GROUP BY category_no
),
per_number AS (
    SELECT
        COALESCE(p.category_no, 0) AS category_no,{currency_key}
        COALESCE(SUM({line}), 0) AS revenue,
        COUNT(*) AS purchases,
        {orders} AS orders,
        {buyers} AS buyers
    FROM purchases AS e
    LEFT JOIN (SELECT product_id, price, category_no FROM catalog) AS p
        ON p.product_id = e.product_id
    GROUP BY {group_by}
),
per_group AS (
    SELECT
        COALESCE(n.category, 'unknown') AS category,
        {currency} AS currency,
        g.revenue,
        g.purchases,
        g.orders,
        g.buyers
    FROM per_number AS g
    LEFT JOIN names AS n ON n.category_no = g.category_no
)
SELECT
    category,
    currency,
    CAST(revenue AS DECIMAL(18, 2)) AS revenue,
    CAST(purchases AS BIGINT) AS purchases,
    CAST(orders AS BIGINT) AS orders,
    CAST(buyers AS BIGINT) AS buyers,
    -- revenue / orders half away from zero in integer cents (DuckDB divides decimals in floating
    -- point; `//` truncates toward zero, so it divides |revenue| and puts the sign back)
    CAST(
        CAST(
            CASE WHEN revenue < 0 THEN -1 ELSE 1 END
            * ((2 * CAST(ABS(revenue) * 100 AS BIGINT) + orders) // (2 * orders))
            AS DECIMAL(18, 0)
        )
        * CAST(0.01 AS DECIMAL(3, 2)) AS DECIMAL(18, 2)
    ) AS avg_order_value
FROM per_group
ORDER BY revenue DESC, category, currency
"""
    return text, extra


# -- cohort ------------------------------------------------------------------------------------
def cohort_sql(f: Facts) -> tuple[str | None, dict[str, Any]]:
    """sql/cohort/optimized.sql with its 256-id blocks (and their string-id branch) replaced by
    one bitstring per (cohort, week) cell, and the last data day from the timestamp statistics.
    The bits are the user ids themselves when they are integers with statistics in a narrow
    range; otherwise (string ids, sparse ids, no statistics) each user's DENSE_RANK among the
    users, 1..rows of users: every retained user comes through the join to users, so the rank
    is defined for all of them, and equal ids get equal ranks (exact even with duplicates).
    Each event's day number is one exact DOUBLE division (_DAY_NO) instead of the canonical
    BIGINT `//`. String ids join on their hash where the manifest shows that no two ids share
    one (idhash.py). The rest of the text (the join, the grid, the complete flag) is the canonical
    one, read from the file."""
    from ducky.sql.catalog import source

    text, _ = source("cohort", "optimized", "duckdb")
    start, end = text.find("int_blocks AS ("), text.find("grid AS (")
    scan = 'SELECT CAST(MAX("timestamp") AS DATE) AS last_day FROM events'
    user_col = "        user_id,\n        DATE_DIFF('day', DATE '1970-01-01', signup_date)"
    ret_col = "        u.user_id,\n        CAST((e.day - u.signup_day) // 7 AS INTEGER) AS week"
    if start < 0 or end < start or scan not in text or user_col not in text or ret_col not in text:
        return None, {}  # the canonical text changed shape: use it as it is
    extra: dict[str, Any] = {}
    if f.uid_bounds is not None and f.uid_bounds[1] - f.uid_bounds[0] < COHORT_MAX_RANGE:
        extra["fast_uid_lo"], extra["fast_uid_hi"] = f.uid_bounds
    elif f.users_rows and f.users_rows < COHORT_MAX_RANGE:
        extra["fast_uid_lo"], extra["fast_uid_hi"] = 1, f.users_rows
        text = text.replace(
            user_col,
            "        user_id,\n        DENSE_RANK() OVER (ORDER BY user_id) AS user_no,\n"
            "        DATE_DIFF('day', DATE '1970-01-01', signup_date)",
        ).replace(ret_col, ret_col.replace("u.user_id,", "u.user_no AS user_id,"))
    else:
        return None, {}
    retained = """retained AS (
    SELECT cohort_month, week,
        BIT_COUNT(BITSTRING_AGG(user_id, :fast_uid_lo, :fast_uid_hi)) AS retained
    FROM returns
    GROUP BY cohort_month, week
),
"""
    start, end = text.find("int_blocks AS ("), text.find("grid AS (")
    text = text[:start] + retained + text[end:]
    text = text.replace(_CANONICAL_DAY_NO, _DAY_NO)  # as it is, if the canonical one changed
    join = "JOIN cohort_users AS u ON u.user_id = e.user_id"
    picked = "WHERE (:event_type IS NULL OR event_type = :event_type)"
    ranked = "        DENSE_RANK() OVER (ORDER BY user_id) AS user_no,\n"  # string ids: ranks
    if (
        f.uid_hash_guard is not None
        and f.uid_no_nulls
        and f.uid_type not in _INT_TYPES
        and join in text
        and picked in text
        and ranked in text
    ):
        # string ids whose hashes the writer found distinct over events and users together
        # (idhash.py): each event probes the users by an 8-byte key, not a string (100M string
        # ids: 5.6 s vs 8.0 s). A NULL users id gets no key (hash(NULL) is a value and could
        # meet an event's); events hold no NULL id (statistics).
        from ducky.engines.duckdb.idhash import GUARD, hash_of

        extra.update(f.uid_hash_guard)
        key = f"        CASE WHEN user_id IS NOT NULL THEN {hash_of('user_id')} END AS user_key,\n"
        text = text.replace(ranked, key + ranked)
        text = text.replace(join, f"JOIN cohort_users AS u ON u.user_key = {hash_of('e.user_id')}")
        text = text.replace(picked, f"{picked}\n          AND {GUARD}")
    if f.days is not None:
        extra["fast_last_day"] = f.days[1]
        text = text.replace(scan, "SELECT CAST(:fast_last_day AS DATE) AS last_day")
    return text, extra
