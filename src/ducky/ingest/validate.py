"""Run the declared checks on one source: type it, flag bad rows, drop duplicates.

One DuckDB statement types every column and evaluates every row check as a boolean column, so
the cost is a vectorized scan whatever the number of checks; only rows that fail are turned
into Python dicts to write their reasons.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ducky.ingest.checks import Check, CheckResult, checks_for, judge, judge_table_check
from ducky.ingest.coerce import (
    EPOCH_UNITS,
    epoch_ambiguous_sql,
    epoch_expr,
    is_numeric,
    present_expr,
    type_reason,
    typed_expr,
)
from ducky.ingest.mapping import EVENT_TYPES_KEY, FORMATS_KEY, Mapping, resolve
from ducky.ingest.records import SourceData
from ducky.ingest.vocab import canonical_event_sql
from ducky.schema import TABLES, sql_type

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass
class BadRow:
    record: int
    checks: list[str]
    reasons: list[str]
    raw: str
    key: Any = None  # the row's typed key (users.user_id ...) when it has one, else None


@dataclass
class Validated:
    table: str
    source: SourceData
    good: pa.Table  # canonical schema + __rec
    bad: list[BadRow]
    duplicates: int  # exact duplicates inside this source, dropped
    results: list[CheckResult] = field(default_factory=list)
    column_map: dict[str, str] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        return self.source.rows_in


MAX_TEXT = 128 * 1024  # bytes; a longer field is a broken export (an unclosed quote), not data


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_literal(v: Any) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _refuse_ambiguous(col: Any, key: str, record: Any, fmt: str) -> None:
    """Nothing is guessed: a day/month-order date (03/04/2024) needs an explicit format.

    Only a value that reads both ways stops the ingest (one error naming the key and the
    record); one that reads one way only (01/13/2024) fails its row's `type` check like any
    other unreadable time, quarantined with a reason that names the key to set."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ducky.errors import UserError

    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return
    month = r"(0?[1-9]|1[0-2])"
    both_ways = pc.match_substring_regex(col, rf"^\s*{month}[/.-]{month}[/.-][0-9]{{2,4}}")
    hits = pc.indices_nonzero(pc.fill_null(both_ways, False))
    if len(hits):
        i = hits[0].as_py()
        where = "line" if fmt in ("csv", "ndjson") else "record"
        raise UserError(
            f"{key}: {col[i].as_py()!r} ({where} {int(record[i])}) has an ambiguous date order "
            f"(day/month or month/day?): set it in the mapping file, "
            f'e.g. formats: {{{key}: "%m/%d/%Y"}}'
        )


def _refuse_ambiguous_epoch(con: Any, column: str, number_sql: str, key: str) -> None:
    """An epoch number outside every digit band (coerce.EPOCH_UNITS) could be seconds or
    milliseconds: one error naming the key, never a silent guess. Only rows whose time failed
    to convert are looked at, so a clean column costs nothing here."""
    from ducky.errors import UserError
    from ducky.ingest.duck import q

    row = q(
        con,
        f"SELECT r_{column} FROM flagged WHERE p_{column} AND t_{column} IS NULL "
        f"AND {number_sql} LIMIT 1",
    ).fetchone()
    if row is not None:
        raise UserError(
            f"{key}: {row[0]!r} is a number but not clearly epoch seconds (9-10 digits), "
            "milliseconds (12-13) or microseconds (15-16): set its unit in the mapping file, "
            f"e.g. formats: {{{key}: epoch_s}} (or epoch_ms, epoch_us)"
        )


def validate(
    src: SourceData,
    mapping: Mapping,
    ref_users: pa.Array | None,
    ref_products: pa.Array | None,
    now: dt.datetime | None = None,
    id_types: dict[str, str] | None = None,
    held_users: set[Any] | None = None,
) -> Validated:
    """Type `src`, run every check of its table, and split it into good and bad rows.
    `held_users`: ids whose users row this ingest quarantined; an event of one is an orphan
    because of that, and its reason says so rather than "not in users"."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ducky.ingest.duck import connect, q
    from ducky.schema import arrow_schema, with_id_types

    table = src.table
    t = with_id_types(TABLES[table], id_types)  # ids: integers or the shop's strings
    if src.data.num_columns == 0:
        # An empty JSON source has no keys to map: judge it as an empty table (volume warns).
        src.data = pa.table({c: pa.array([], pa.string()) for c in t.column_names})
    colmap = resolve(table, src.data.column_names, mapping, src.source)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    checks = checks_for(table)
    row_checks = [c for c in checks if c.sql]

    # Source columns under safe positional names (s0, s1, ...) plus the record number.
    names = {canon: f"s{i}" for i, canon in enumerate(colmap)}
    cols = {names[c]: src.data.column(colmap[c]) for c in colmap}
    cols["__rec"] = pa.array(src.record, pa.int64())
    arrow_in = pa.table(cols)

    select = ["__rec"]
    flags: list[tuple[str, str, str | None]] = []  # (flag column, check name, column)
    epoch_auto: dict[str, str] = {}  # time column read by the digit-band rule -> its SQL test
    for c in t.columns:
        if c.name in names:
            s = names[c.name]
            stype = arrow_in.schema.field(s).type
            typed = typed_expr(s, c.type, stype)
            fmt = mapping.get(FORMATS_KEY, {}).get(f"{table}.{c.name}")
            if c.type in ("date", "timestamp"):
                target = sql_type(c.type)
                if fmt in EPOCH_UNITS:
                    # the mapping says the unit: any number converts, whatever its digits
                    typed = f"CAST({epoch_expr(s, fmt, stype)} AS {target})"
                elif fmt is not None:
                    # the shop's own format, exactly (TRY_STRPTIME: NULL = a `type` failure)
                    text = s if not is_numeric(stype) else f"CAST({s} AS VARCHAR)"
                    typed = f"CAST(TRY_STRPTIME(trim({text}), {_sql_literal(fmt)}) AS {target})"
                else:
                    _refuse_ambiguous(
                        src.data.column(colmap[c.name]), f"{table}.{c.name}", src.record, src.fmt
                    )
                    epoch_auto[c.name] = epoch_ambiguous_sql(f"r_{c.name}", stype)
            if table == "events" and c.name == "currency":
                # ISO 4217 codes: 'usd ' and 'USD' are one currency (checks.currency_code)
                typed = f"NULLIF(upper(trim({typed})), '')"
            if table == "events" and c.name == "event_type":
                # Any event name is kept; known vocabularies map onto the canonical types.
                typed = canonical_event_sql(typed, mapping.get(EVENT_TYPES_KEY))
            select += [
                f"{s} AS r_{c.name}",
                f"{present_expr(s, stype)} AS p_{c.name}",
                f"{typed} AS t_{c.name}",
            ]
        else:
            select += [
                f"NULL AS r_{c.name}",
                f"FALSE AS p_{c.name}",
                f"CAST(NULL AS {sql_type(c.type)}) AS t_{c.name}",
            ]
    typed_sql = "SELECT " + ", ".join(select) + " FROM src"

    exprs = []
    for c in t.columns:
        exprs.append(f"(p_{c.name} AND t_{c.name} IS NULL) AS f_type_{c.name}")
        flags.append((f"f_type_{c.name}", "type", c.name))
        if c.type == "string":
            exprs.append(
                f"(t_{c.name} IS NOT NULL AND (contains(t_{c.name}, chr(0)) "
                f"OR strlen(t_{c.name}) > {MAX_TEXT})) AS f_text_{c.name}"
            )
            flags.append((f"f_text_{c.name}", "text_safe", c.name))
        if not c.nullable:
            exprs.append(f"(NOT p_{c.name}) AS f_required_{c.name}")
            flags.append((f"f_required_{c.name}", "required", c.name))
    for chk in row_checks:
        sql = (chk.sql or "").replace(":now", _sql_literal(now.isoformat(sep=" ")))
        no_ref = (chk.name == "user_exists" and ref_users is None) or (
            chk.name == "product_exists" and ref_products is None
        )
        if no_ref:
            sql = "FALSE"  # no users table / no catalog: there is nothing to be an orphan of
        if chk.kind != "required" and chk.column:
            # NULL never fails a value check (`x NOT IN (empty set)` would be TRUE for NULL).
            sql = f"t_{chk.column} IS NOT NULL AND ({sql})"
        exprs.append(f"COALESCE({sql}, FALSE) AS {_q('f_' + chk.name)}")
        flags.append((f"f_{chk.name}", chk.name, chk.column))
    # Only `fail` checks reject a row; a `warn` row check (country code) is counted, not enforced.
    warn_only = {c.name for c in row_checks if c.severity == "warn"}
    rejecting = [f for f, name, _ in flags if name not in warn_only]
    bad_expr = " OR ".join(_q(f) for f in rejecting) or "FALSE"

    def _id(kind: str) -> pa.DataType:
        return pa.string() if (id_types or {}).get(kind) == "string" else pa.int64()

    con = connect()
    try:
        con.register("src", arrow_in)
        con.register(
            "ref_users",
            pa.table(
                {"user_id": ref_users if ref_users is not None else pa.array([], _id("user_id"))}
            ),
        )
        con.register(
            "ref_products",
            pa.table(
                {
                    "product_id": ref_products
                    if ref_products is not None
                    else pa.array([], _id("product_id"))
                }
            ),
        )
        q(con, f"CREATE TEMP VIEW typed AS {typed_sql}")
        q(
            con,
            "CREATE TEMP TABLE flagged AS SELECT *, "
            f"({bad_expr}) AS __bad FROM (SELECT *, {', '.join(exprs)} FROM typed)",
        )
        for name, number in epoch_auto.items():
            _refuse_ambiguous_epoch(con, name, number, f"{table}.{name}")
        # Failures per check count rows, not cells: a row with two bad columns fails `type`
        # once, so the pass rate stays within 0..100% ("571 failures of 318 rows" was cells).
        by_check: dict[str, list[str]] = {}
        for f, name, _ in flags:
            by_check.setdefault(name, []).append(_q(f))
        counts_row = q(
            con,
            "SELECT "
            + ", ".join(f"count_if({' OR '.join(fs)})" for fs in by_check.values())
            + " FROM flagged",
        ).fetchone()
        counts = list(counts_row or [])
        canon = ", ".join(f"t_{c.name} AS {_q(c.name)}" for c in t.columns)
        good_rel = f"SELECT __rec, {canon} FROM flagged WHERE NOT __bad"
        # Exact duplicates inside the source: keep the first occurrence (a hash aggregate,
        # cheaper than a window over every column).
        part = ", ".join(_q(c.name) for c in t.columns)
        q(
            con,
            f"CREATE TEMP TABLE good AS SELECT min(__rec) AS __rec, {part} "
            f"FROM ({good_rel}) GROUP BY {part}",
        )
        (n_good_all,) = q(con, "SELECT count(*) FROM flagged WHERE NOT __bad").fetchone() or (0,)
        key_conflicts: list[tuple[int, int, Any]] = []
        if t.key:
            key = ", ".join(_q(k) for k in t.key)
            key_conflicts = [
                (int(r[0]), int(r[1]), r[2])
                for r in q(
                    con,
                    f"SELECT __rec, last_rec, k FROM (SELECT __rec, {_q(t.key[0])} AS k, "
                    f"max(__rec) OVER (PARTITION BY {key}) AS last_rec FROM good) "
                    "WHERE __rec <> last_rec ORDER BY __rec",
                ).fetchall()
            ]
            if key_conflicts:
                gone = ", ".join(str(r) for r, _, _ in key_conflicts)
                q(con, f"DELETE FROM good WHERE __rec IN ({gone})")
        # No ORDER BY: merge.py sorts what it writes (by key, or by time within a month).
        good = con.sql("SELECT * FROM good").to_arrow_table()
        assert good is not None
        raw_cols = ", ".join(f"r_{c.name}" for c in t.columns)
        flag_cols = ", ".join(_q(f) for f, _, _ in flags)
        bad_rows = q(
            con, f"SELECT __rec, {raw_cols}, {flag_cols} FROM flagged WHERE __bad ORDER BY __rec"
        ).fetchall()
    finally:
        con.close()

    schema = arrow_schema(table, id_types)
    good = good.cast(
        pa.schema([pa.field("__rec", pa.int64()), *[f.with_nullable(True) for f in schema]])
    )
    duplicates = int(n_good_all) - good.num_rows - len(key_conflicts)

    # Reasons, only for bad rows.
    by_name = {c.name: c for c in checks}
    col_names = t.column_names
    raw_by_rec = _raw_records(
        src, colmap, [r[0] for r in bad_rows] + [r for r, _, _ in key_conflicts]
    )
    bad: list[BadRow] = []
    for row in bad_rows:
        rec = int(row[0])
        raw = dict(zip(col_names, row[1 : 1 + len(col_names)], strict=True))
        fl = row[1 + len(col_names) :]
        checks_hit, reasons = [], []
        for (_, name, column), hit in zip(flags, fl, strict=True):
            if not hit or name in warn_only:
                continue
            checks_hit.append(name)
            if name == "type":
                reasons.append(
                    type_reason(
                        str(column),
                        t.column(str(column)).type,
                        raw[str(column)],
                        mapping.get(FORMATS_KEY, {}).get(f"{table}.{column}"),
                    )
                )
            elif name == "required":
                reasons.append(f"{column}: missing")
            elif name == "text_safe":
                v = str(raw[str(column)])
                why = "contains a NUL byte" if "\x00" in v else f"is {len(v.encode())} bytes long"
                reasons.append(f"{column}: {why} (limit: no NUL, at most {MAX_TEXT} bytes)")
            elif name == "user_exists" and held_users and raw.get("user_id") in held_users:
                reasons.append(
                    f"user_id: {raw.get('user_id')} is not in users: its users row was "
                    "quarantined in this ingest (`ducky quarantine users` says why)"
                )
            else:
                reasons.append(by_name[name].reason.format(value=raw.get(str(column)), **raw))
        row_key: Any = raw.get(t.key[0]) if t.key else None
        bad.append(BadRow(rec, checks_hit, reasons, raw_by_rec.get(rec, ""), row_key))
    unit = "line" if src.fmt in ("csv", "ndjson") else "record"
    for rec, last, k in key_conflicts:
        bad.append(
            BadRow(
                rec,
                ["unique_key"],
                [f"{t.key[0]}: {k} appears again at {unit} {last}; the later row was kept"],
                raw_by_rec.get(rec, ""),
            )
        )
    for rj in src.rejects:
        bad.append(BadRow(rj.record, [rj.check], [rj.reason], json.dumps(rj.raw)))
    bad.sort(key=lambda b: b.record)

    # Verdicts: every check of this table, with zero counts where nothing failed.
    rows_in = src.rows_in
    failed: dict[str, int] = {}
    for name, n in zip(by_check, counts, strict=True):
        failed[name] = failed.get(name, 0) + int(n or 0)
    failed["unique_key"] = len(key_conflicts)
    failed["duplicate"] = duplicates
    for rj in src.rejects:
        failed[rj.check] = failed.get(rj.check, 0) + 1
    results: list[CheckResult] = []
    newest = None
    if good.num_rows and "timestamp" in good.column_names:
        newest = pc.max(good.column("timestamp")).as_py()
    for chk in checks:
        if chk.kind in ("freshness", "volume"):
            results.append(judge_table_check(chk, table, rows_in, newest))
        else:
            results.append(_judge_row(chk, table, rows_in, failed.get(chk.name, 0)))
    return Validated(table, src, good, bad, duplicates, results, colmap)


def _judge_row(chk: Check, table: str, rows_in: int, failed: int) -> CheckResult:
    return judge(chk, table, rows_in, failed)


def _raw_records(src: SourceData, colmap: dict[str, str], recs: list[int]) -> dict[int, str]:
    """The source record (every source column, not just mapped ones) as JSON text."""
    import numpy as np
    import pyarrow as pa

    from ducky.tabular import jsonable

    if not recs or src.data.num_rows == 0:
        return {}
    want = np.array(sorted(set(recs)), dtype=np.int64)
    idx = np.flatnonzero(np.isin(src.record, want))
    rows = src.data.take(pa.array(idx)).to_pylist()
    return {
        int(src.record[i]): json.dumps(
            {k: jsonable(v) for k, v in r.items()}, ensure_ascii=False, default=str
        )
        for i, r in zip(idx, rows, strict=True)
    }
