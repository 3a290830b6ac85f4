"""The optimized WAU, revenue and cohort SQL on DuckDB take integer fast paths (bitstrings over
blocks of ids; for WAU and revenue one bitstring per group bounded by the Parquet statistics,
chosen when the SQL is rendered: engines/duckdb/fast.py); these tests hold them to the baseline
and the pure-Python reference on every shape, including where a fast path must not apply or must
not go wrong: dense ids (the statistics path), sparse ids (huge, negative, far apart: too wide
for one bitstring), string ids, and files written without statistics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ducky.bench.runner import compare, compare_rows
from ducky.datasets import DataDir
from ducky.engines.duckdb import DuckDBEngine
from tests import reference
from tests.handmade import write_datadir

T = dt.datetime


def _remap(root: Path, fn: Callable[[pa.Array], pa.Array]) -> Path:
    """The hand-made data directory with every user_id (users and events) mapped by `fn`."""
    dd = DataDir(root)
    for table in ("users", "events"):
        for f in dd.table_files(table):
            t = pq.read_table(f)
            i = t.schema.get_field_index("user_id")
            col = fn(t.column(i).combine_chunks())
            t = t.set_column(i, pa.field("user_id", col.type, nullable=False), col)
            pq.write_table(t, f)
    return root


def _sparse(ids: pa.Array) -> pa.Array:
    # Far apart (2^40 between neighbours), straddling zero: blocks hold one user each.
    return pc.multiply(pc.subtract(ids, 4), pa.scalar(1 << 40, pa.int64()))


def _strings(ids: pa.Array) -> pa.Array:
    # Strings that are not integers, and one that looks like an integer with a leading zero.
    return pa.array([f"u-{v:03d}" if v % 2 else f"0{v}" for v in ids.to_pylist()], pa.string())


def _no_statistics(root: Path) -> Path:
    """The events files rewritten without column statistics (as some writers do)."""
    dd = DataDir(root)
    for f in dd.table_files("events"):
        pq.write_table(pq.read_table(f), f, write_statistics=False)
    return root


SHAPES = {
    "dense": lambda root: root,
    "sparse": lambda root: _remap(root, _sparse),
    "strings": lambda root: _remap(root, _strings),
    "nostats": _no_statistics,
}


@pytest.fixture(scope="module", params=list(SHAPES))
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    root = write_datadir(tmp_path_factory.mktemp(request.param) / "data")
    return DataDir(SHAPES[request.param](root))


def _rows(dd: DataDir, table: str) -> list[dict[str, Any]]:
    return pq.read_table(dd.table_files(table)).to_pylist()


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ("wau", {}),
        ("wau", {"event_type": "purchased"}),
        ("cohort", {}),
        ("cohort", {"event_type": "purchased", "weeks": 3}),
        ("revenue", {}),
        ("revenue", {"date_from": "2025-01-01", "date_to": "2025-01-29"}),
    ],
)
def test_optimized_equals_baseline_and_reference(
    shop: DataDir, query: str, params: dict[str, Any]
) -> None:
    with DuckDBEngine(shop) as eng:
        eng.load()
        want = eng.query(query, "baseline", **params)
        got = eng.query(query, "optimized", **params)
    assert want.num_rows > 0
    assert compare(want, got) is None, compare(want, got)
    if query == "wau":
        ref = reference.wau(_rows(shop, "events"), params.get("event_type"))
    elif query == "revenue":
        bounds = {
            k: dt.datetime.fromisoformat(params[k]) if k in params else None
            for k in ("date_from", "date_to")
        }
        ref = reference.revenue(_rows(shop, "events"), _rows(shop, "products"), **bounds)
    else:
        ref = reference.cohort(_rows(shop, "users"), _rows(shop, "events"), **params)
    assert compare_rows(ref, got.to_pylist()) is None


def test_string_ids_keep_their_type(shop: DataDir) -> None:
    with DuckDBEngine(shop) as eng:
        eng.load()
        kind = eng.run("SELECT typeof(user_id) AS t FROM events LIMIT 1").column(0)[0].as_py()
        n = eng.run("SELECT COUNT(DISTINCT user_id) AS n FROM events").column(0)[0].as_py()
    assert kind in ("BIGINT", "VARCHAR")
    assert n == len({e["user_id"] for e in _rows(shop, "events")})


def test_statistics_path_is_chosen_only_where_it_holds(shop: DataDir) -> None:
    """One bitstring per group bounded by the id statistics on dense integer ids; the general
    text (blocks, COUNT(DISTINCT)) on sparse ids, string ids and files without statistics."""
    shape = shop.path.parent.name.rstrip("0123456789")
    with DuckDBEngine(shop) as eng:
        eng.load()
        wau = eng.render("wau", "optimized")
        revenue = eng.render("revenue", "optimized")
        cohort = eng.render("cohort", "optimized")
        eng.fast_paths = False
        assert eng.render("wau", "optimized") != wau or shape == "nostats"
    bounded = "BITSTRING_AGG(user_id, " in wau.replace("\n", " ")
    assert bounded == (shape == "dense"), wau
    # sparse and string ids: one mask of active weeks per user (the weeks from the timestamp
    # statistics); without statistics neither
    assert ("BIT_OR(CAST(1 AS UBIGINT)" in wau) == (shape in ("sparse", "strings")), wau
    assert ("BITSTRING_AGG(e.user_id" in revenue) == (shape == "dense"), revenue
    # cohort: bits for every shape, over the ids (dense) or each user's rank among the users
    assert "BITSTRING_AGG(user_id, " in cohort.replace("\n", " ")
    assert ("DENSE_RANK()" in cohort) == (shape != "dense"), cohort
    assert "/ 10546875" in cohort and "86400000000" not in cohort, cohort  # the DOUBLE day
    # the order columns are all NULL in these files: where the statistics say so, orders are
    # the purchases, with no COUNT(DISTINCT order_id)
    assert ("COUNT(DISTINCT e.order_id)" in revenue) == (shape == "nostats"), revenue


def test_cached_statistics_follow_a_rewritten_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The footer facts are cached under a stat-only stamp of the files: a rewritten events
    file (here with a user id above the old maximum) is read afresh, never counted out of
    bounds."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dd = DataDir(write_datadir(tmp_path / "data"))
    answers = []
    for step in range(2):
        with DuckDBEngine(dd) as eng:
            eng.load()
            got = eng.query("wau", "optimized")
            assert compare(eng.query("wau", "baseline"), got) is None
            answers.append(got.to_pylist())
        if step == 0:
            f = dd.table_files("events")[-1]
            t = pq.read_table(f)
            extra = t.slice(0, 1).to_pylist()[0] | {"user_id": 10**6}
            pq.write_table(pa.concat_tables([t, pa.Table.from_pylist([extra], t.schema)]), f)
    assert answers[0] != answers[1]  # the new user is counted in its week


def test_week_number_is_the_iso_week_over_every_timestamp() -> None:
    """fast._WEEK_NO (one DOUBLE division) is floor((epoch_us + 3 days) / 1 week), i.e. the
    Monday DATE_TRUNC('week') gives, and fast._DAY_NO the UTC day (cohort), for every timestamp
    DuckDB can hold: random ones over the
    whole range (290,309 BC to 294,247 AD), both ends, and each side of week boundaries around
    1970 (negative epochs) and spread over the range."""
    import duckdb

    from ducky.engines.duckdb.fast import _DAY_NO, _WEEK_NO

    week = _WEEK_NO.replace('"timestamp"', "ts")
    day = _DAY_NO.replace('"timestamp"', "ts")
    exact = (
        "CASE WHEN us + 259200000000 >= 0 THEN (us + 259200000000) // 604800000000 "
        "ELSE -((604800000000 - 1 - (us + 259200000000)) // 604800000000) END"
    )
    got = duckdb.sql(
        f"""
        WITH b AS (
            SELECT EPOCH_US(TIMESTAMP '290309-12-22 (BC) 00:00:00') AS lo,
                   EPOCH_US(TIMESTAMP '294247-01-10 04:00:54.775806') AS hi
        ),
        r AS (
            SELECT CAST(CAST(lo AS DOUBLE) + (CAST(hi AS DOUBLE) - CAST(lo AS DOUBLE))
                        * random() AS BIGINT) AS us
            FROM b, range(200000)
            UNION ALL
            SELECT k * 604800000000 - 259200000000 + d
            FROM range(-600, 600) AS t(k), (VALUES (-1), (0), (1)) AS v(d)
            UNION ALL
            SELECT k * 604800000000 - 259200000000 + d
            FROM range(-15250000, 15250000, 9973) AS t(k), (VALUES (-1), (0), (1)) AS v(d)
            UNION ALL SELECT lo + i FROM b, range(100) AS t(i)
            UNION ALL SELECT hi - i FROM b, range(100) AS t(i)
        ),
        t AS (
            SELECT MAKE_TIMESTAMP(us) AS ts, CAST(us AS HUGEINT) AS us
            FROM r
            WHERE us BETWEEN (SELECT lo FROM b) AND (SELECT hi FROM b)
        )
        SELECT
            COUNT(*),
            COUNT(*) FILTER (WHERE CAST({week} AS HUGEINT) <> {exact}),
            COUNT(*) FILTER (
                WHERE CAST(DATE '1969-12-29' + TO_DAYS(CAST(7 * {week} AS INTEGER)) AS DATE)
                    <> CAST(DATE_TRUNC('week', ts) AS DATE)
            ),
            COUNT(*) FILTER (
                WHERE {day} <> DATE_DIFF('day', DATE '1970-01-01', CAST(ts AS DATE))
            ),
            MIN(ts) < TIMESTAMP '0001-01-01',
            MAX(ts) > TIMESTAMP '294247-01-10 04:00:00'
        FROM t
        """
    ).fetchall()[0]
    assert got[0] > 200000 and got[1:] == (0, 0, 0, True, True), got


def test_wau_fast_path_before_1970_and_far_ahead(tmp_path: Path) -> None:
    """Events before the epoch (negative microseconds), on both sides of Monday 00:00, and in
    the 24th century go through the bounded bitstring path with the DOUBLE week number and
    give the baseline's and the reference's weeks."""
    from tests.handmade import EVENTS

    moved = [
        T(1969, 12, 28, 23, 59, 59, 999999),  # Sunday before the epoch week
        T(1969, 12, 29, 0, 0),  # Monday of week 0, epoch -3 days
        T(1970, 1, 1, 0, 0),
        T(1970, 1, 4, 23, 59, 59, 999999),
        T(1970, 1, 5, 0, 0),
        T(1900, 1, 1, 0, 0),  # a Monday
        T(1899, 12, 31, 23, 59, 59),
        T(2362, 3, 4, 5, 6, 7),
    ]
    events = [
        e | {"timestamp": moved[i % len(moved)] + dt.timedelta(microseconds=i)}
        for i, e in enumerate(EVENTS)
    ]
    dd = DataDir(write_datadir(tmp_path / "data", events=events))
    with DuckDBEngine(dd) as eng:
        eng.load()
        sql = eng.render("wau", "optimized")
        want = eng.query("wau", "baseline")
        got = eng.query("wau", "optimized")
    assert "BITSTRING_AGG(user_id, " in sql.replace("\n", " ")
    assert compare(want, got) is None, compare(want, got)
    assert compare_rows(reference.wau(events), got.to_pylist()) is None
    assert {r["week_start"] for r in got.to_pylist()} >= {
        dt.date(1969, 12, 22),
        dt.date(1969, 12, 29),
        dt.date(1970, 1, 5),
        dt.date(1900, 1, 1),
        dt.date(1899, 12, 25),
    }


@pytest.mark.parametrize("ids", ["integers", "strings"])
def test_revenue_category_numbers_keep_the_unknown_rule(tmp_path: Path, ids: str) -> None:
    """The fast revenue text groups by a category number and names the rows afterwards; every
    purchase METRICS.md calls 'unknown' lands in ONE row: no product, a product the catalog
    lacks, a product without a category, and a product whose category is named 'unknown'; two
    products of one category stay one row. Buyers across those shapes are counted once."""
    from tests.handmade import PRODUCTS, USERS

    products = [
        *PRODUCTS,
        {"product_id": 40, "category": "x", "price": Decimal("5.00"), "name": "no category"},
        {"product_id": 41, "category": "unknown", "price": Decimal("7.00"), "name": "named so"},
        {"product_id": 42, "category": "home", "price": Decimal("1.50"), "name": "spoon"},
        {"product_id": 43, "category": "aardvarks", "price": Decimal("2.00"), "name": "a"},
    ]
    t = T(2025, 1, 6, 10, 0)
    events = [
        {"user_id": u, "event_type": "purchased", "product_id": p, "timestamp": t}
        for u, p in [(1, None), (1, 99), (2, 40), (4, 41), (5, 41), (1, 42), (2, 30), (5, 43)]
    ] + [
        {"user_id": 1, "event_type": "viewed", "product_id": 10, "timestamp": t},
        {"user_id": 2, "event_type": "purchased", "product_id": 10, "timestamp": t},
    ]
    root = write_datadir(tmp_path / "data", users=USERS, products=products, events=events)
    # the schema says category is required, but a catalog written by another tool may hold a
    # NULL one (COALESCE(category, 'unknown') in every text): product 40's, rewritten as such
    f = DataDir(root).table_files("products")[0]
    t = pq.read_table(f)
    i = t.schema.get_field_index("category")
    cats = pa.array(
        [
            None if n == "no category" else c
            for c, n in zip(
                t.column("category").to_pylist(), t.column("name").to_pylist(), strict=True
            )
        ],
        pa.string(),
    )
    pq.write_table(t.set_column(i, pa.field("category", pa.string()), cats), f)
    if ids == "strings":
        _remap(root, _strings)
    dd = DataDir(root)
    with DuckDBEngine(dd) as eng:
        eng.load()
        sql = eng.render("revenue", "optimized")
        want = eng.query("revenue", "baseline")
        got = eng.query("revenue", "optimized")
    # grouped by the number alone: the files hold no currency, so USD is a constant
    assert "category_no" in sql and "COALESCE(e.currency" not in sql, sql
    assert compare(want, got) is None, compare(want, got)
    ref = reference.revenue(_rows(dd, "events"), _rows(dd, "products"))
    assert compare_rows(ref, got.to_pylist()) is None
    rows = {r["category"]: r for r in got.to_pylist()}
    assert sorted(rows) == ["aardvarks", "electronics", "home", "unknown"]
    unknown = rows["unknown"]
    assert (unknown["purchases"], unknown["buyers"], unknown["revenue"]) == (
        5,
        4,
        Decimal("19.00"),
    )
    assert (rows["home"]["purchases"], rows["home"]["buyers"]) == (2, 2)
    assert {r["currency"] for r in rows.values()} == {"USD"}


def _spread(weeks_apart: int) -> list[dict[str, Any]]:
    """The hand-made events moved so that they span `weeks_apart` weeks: each event keeps its
    time of day and weekday and lands in one of a few weeks spread over the span (the first,
    the last, and around the 64-week mask boundaries)."""
    from tests.handmade import EVENTS

    offsets = sorted({0, 1, 62, 63, 64, 65, 127, 128, 191, 192, weeks_apart // 2, weeks_apart - 1})
    offsets = [o for o in offsets if o < weeks_apart]
    monday = T(2024, 12, 30)

    def moved(ts: dt.datetime, weeks: int) -> dt.datetime:
        in_week = ts - T.combine(ts.date() - dt.timedelta(days=ts.weekday()), dt.time())
        return monday + dt.timedelta(weeks=weeks) + in_week

    return [
        e | {"timestamp": moved(e["timestamp"], offsets[i % len(offsets)])}
        for i, e in enumerate(EVENTS)
    ]


@pytest.mark.parametrize(
    ("weeks", "ids", "path"),
    [
        (40, "strings", "masks 1"),
        (130, "strings", "masks 3"),
        (256, "sparse", "masks 4"),
        (300, "strings", "count distinct"),
        (300, "sparse", "blocks"),
    ],
)
def test_wau_week_masks_over_many_weeks(tmp_path: Path, weeks: int, ids: str, path: str) -> None:
    """The per-user week masks (string and sparse integer ids) over spans of 1, 3 and 4 masks
    of 64 weeks, with events in the weeks each side of every boundary, equal the baseline and
    the reference; past WAU_MAX_MASK_WEEKS the general text takes over."""
    events = _spread(weeks)
    root = write_datadir(tmp_path / "data", events=events)
    _remap(root, _strings if ids == "strings" else _sparse)
    dd = DataDir(root)
    with DuckDBEngine(dd) as eng:
        eng.load()
        sql = eng.render("wau", "optimized")
        want = eng.query("wau", "baseline")
        got = eng.query("wau", "optimized")
        purchases = eng.query("wau", "optimized", event_type="purchased")
        want_purchases = eng.query("wau", "baseline", event_type="purchased")
    masks = sql.count("BIT_OR(CAST(1 AS UBIGINT)")
    kind = {
        "masks": f"masks {masks}",
        "count distinct": "COUNT(DISTINCT user_id)",
        "blocks": "BITSTRING_AGG(user_id & 255",
    }
    if path.startswith("masks"):
        assert kind["masks"] == path, sql
    else:
        assert masks == 0 and kind[path] in sql, sql
    assert compare(want, got) is None, compare(want, got)
    assert compare(want_purchases, purchases) is None
    rows = _rows(dd, "events")
    assert compare_rows(reference.wau(rows), got.to_pylist()) is None
    assert compare_rows(reference.wau(rows, "purchased"), purchases.to_pylist()) is None
    assert got.column("week_start")[0].as_py() == dt.date(2024, 12, 30)
    assert got.column("week_start")[-1].as_py() == dt.date(2024, 12, 30) + dt.timedelta(
        weeks=weeks - 1
    )


@pytest.mark.parametrize(
    ("when", "weeks"), [("before", -30), ("just after", 1), ("in the last mask", 53), ("past", 70)]
)
def test_wau_week_masks_outside_the_rendered_weeks(tmp_path: Path, when: str, weeks: int) -> None:
    """Rendered for the 10 weeks the statistics gave, the mask text run on data that has since
    gained an event by a new user some weeks before the first or after the last never counts
    wrong: a week after the last that still fits the 64 weeks of the mask is counted in its
    week (the baseline's answer on the new data); a week before the first, or past the mask,
    fails."""
    import duckdb

    root = write_datadir(tmp_path / "data", events=_spread(10))
    _remap(root, _strings)
    dd = DataDir(root)
    with DuckDBEngine(dd) as eng:
        eng.load()
        sql = eng.render("wau", "optimized")
    assert sql.count("BIT_OR(CAST(1 AS UBIGINT)") == 1
    f = dd.table_files("events")[-1]
    t = pq.read_table(f)
    last = max(pq.read_table(dd.table_files("events")).column("timestamp").to_pylist())
    first = min(pq.read_table(dd.table_files("events")).column("timestamp").to_pylist())
    moved = (first if weeks < 0 else last) + dt.timedelta(weeks=weeks)
    row = t.slice(0, 1).to_pylist()[0] | {"timestamp": moved, "user_id": "new-user"}
    pq.write_table(pa.concat_tables([t, pa.Table.from_pylist([row], t.schema)]), f)
    with DuckDBEngine(dd) as eng:
        eng.load()
        if when in ("before", "past"):
            with pytest.raises(duckdb.Error, match=r"(?i)out of range|overflow"):
                eng.con.execute(sql).fetchall()
            return
        got = eng.run(sql)
        want = eng.query("wau", "baseline")
    new_week = got.to_pylist()[-1]
    assert new_week["active_users"] == 1 and (new_week["week_start"] - last.date()).days > 0
    # the complete flags are the render's (the last day it knew), the counts the new data's
    assert got.column("active_users").to_pylist() == want.column("active_users").to_pylist()
    assert got.column("week_start").to_pylist() == want.column("week_start").to_pylist()


@pytest.mark.parametrize("ids", ["strings", "sparse", "dense"])
def test_wau_null_user_is_no_user(tmp_path: Path, ids: str) -> None:
    """A NULL user_id (files another tool wrote; the schema says required) is no user: the
    baseline's COUNT(DISTINCT) skips it, and a week whose only event has a NULL user has 0
    active users. The masks would count a NULL group as a user, so with NULLs in the statistics
    they are not chosen; the bits and blocks give 0, not NULL, for the NULL-only week."""
    from ducky.engines.duckdb.fast import read_facts

    events = _spread(5)
    # the one event of week 3 (the spread fills weeks 0, 1, 2 and 4), in a file with others
    lonely = events[0] | {"timestamp": T(2025, 1, 22, 12, 0)}
    root = write_datadir(tmp_path / "data", events=[*events, lonely])
    if ids != "dense":
        _remap(root, _strings if ids == "strings" else _sparse)
    dd = DataDir(root)
    for f in dd.table_files("events"):
        t = pq.read_table(f)
        i = t.schema.get_field_index("user_id")
        uids = t.column(i).to_pylist()
        stamps = t.column("timestamp").to_pylist()
        # NULL the lonely event's user, and one other event's user where the file has several
        nulled = [
            None if ts == lonely["timestamp"] or (k == 1 and len(uids) > 2) else u
            for k, (u, ts) in enumerate(zip(uids, stamps, strict=True))
        ]
        col = pa.array(nulled, t.schema.field(i).type)
        pq.write_table(t.set_column(i, pa.field("user_id", col.type, nullable=True), col), f)
    with DuckDBEngine(dd) as eng:
        eng.load()
        sql = eng.render("wau", "optimized")
        facts = read_facts(eng)
        want = eng.query("wau", "baseline")
        got = eng.query("wau", "optimized")
        eng.fast_paths = False  # the canonical optimized.sql, as other callers run it
        canonical = eng.query("wau", "optimized")
    assert not facts.uid_no_nulls and "BIT_OR(CAST(1 AS UBIGINT)" not in sql
    assert compare(want, got) is None, compare(want, got)
    assert compare(want, canonical) is None, compare(want, canonical)
    rows = {r["week_start"]: r["active_users"] for r in got.to_pylist()}
    assert rows[dt.date(2025, 1, 20)] == 0
    if ids == "dense":  # the file keeps its id statistics: one bitstring per week
        assert "BITSTRING_AGG(user_id, " in sql.replace("\n", " ")


def test_wau_null_timestamp_keeps_the_general_text(tmp_path: Path) -> None:
    """Files written by another tool may hold a NULL timestamp (the schema says required; the
    files need not): the canonical texts count it as a week of its own (a NULL week_start
    row), which the per-user masks would drop, so with NULLs in the statistics the masks are
    not chosen and the answer is the baseline's, NULL week included."""
    from ducky.engines.duckdb.fast import read_facts

    root = write_datadir(tmp_path / "data", events=_spread(5))
    _remap(root, _strings)
    dd = DataDir(root)
    f = max(dd.table_files("events"), key=lambda p: pq.read_metadata(p).num_rows)
    t = pq.read_table(f)
    i = t.schema.get_field_index("timestamp")
    ts = t.column(i).to_pylist()
    assert len(ts) > 2  # the file keeps a min and a max beside the NULL: the weeks are known
    ts[1] = None
    col = pa.array(ts, t.schema.field(i).type)
    pq.write_table(t.set_column(i, pa.field("timestamp", col.type, nullable=True), col), f)
    with DuckDBEngine(dd) as eng:
        eng.load()
        sql = eng.render("wau", "optimized")
        want = eng.query("wau", "baseline")
        got = eng.query("wau", "optimized")
        facts = read_facts(eng)
    assert facts.days is not None and not facts.ts_no_nulls
    assert "BIT_OR(CAST(1 AS UBIGINT)" not in sql
    assert None in want.column("week_start").to_pylist()
    assert compare(want, got) is None, compare(want, got)
