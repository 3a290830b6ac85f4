"""Data-quality checks, declared once as data and run the same way on every table.

A row check is an SQL predicate over the typed columns (`t_<col>`), the source values
(`r_<col>`) and their presence (`p_<col>`) that is TRUE for a bad row; bad rows are quarantined
with the check's reason. `type` and `required` are generated for every column from schema.py.
Set checks (`unique`, `duplicate`) run after the row checks on the rows that passed them, and
table checks (`freshness`, `volume`) judge the whole batch.

Severity: a check whose failures keep the pass rate at or above `threshold` is a warning; below
it, the check trips with its `severity` (`fail` stops the ingest unless --fail-on says
otherwise). With threshold 0.95, "completeness >= 95%" is the `required` check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ducky.schema import EVENT_TYPES, TABLES

SEVERITIES = ("warn", "fail")
ROW_KINDS = ("parse", "encoding", "type", "required", "allowed", "range", "not_future", "reference")


@dataclass(frozen=True)
class Check:
    name: str
    kind: str
    tables: tuple[str, ...]  # ("*",) = every table that has `column`
    column: str | None = None
    severity: str = "fail"
    threshold: float = 0.95  # minimum share of rows that must pass before it trips
    sql: str | None = None  # row checks: TRUE for a bad row
    reason: str = ""  # row checks: str.format template ({column}, {value}, ...)
    limit: float | None = None  # table checks: days for freshness, min rows for volume
    description: str = ""

    def applies_to(self, table: str) -> bool:
        if "*" not in self.tables and table not in self.tables:
            return False
        return self.column is None or self.column in TABLES[table].column_names


_EVENTS_WITH_PRODUCT = ", ".join(f"'{e}'" for e in EVENT_TYPES if e != "login")
# Clocks differ a little between an exporter and this machine: allow five minutes of skew.
FUTURE_SKEW = dt.timedelta(minutes=5)

CHECKS: tuple[Check, ...] = (
    Check("parse", "parse", ("*",), description="the record can be parsed (CSV fields, JSON)"),
    Check("encoding", "encoding", ("*",), description="the line is valid UTF-8"),
    Check("type", "type", ("*",), description="every value converts to its canonical type"),
    Check(
        "text_safe",
        "encoding",
        ("*",),
        description="text holds no NUL byte and no value over 128 KiB (no engine stores a NUL; "
        "such a field is a broken export, not data)",
    ),
    Check(
        "required",
        "required",
        ("*",),
        description="non-nullable columns are present (completeness >= 95% or the run fails)",
    ),
    Check(
        "price_positive",
        "range",
        ("products",),
        "price",
        sql="t_price <= 0",
        reason="price: {value} is not > 0",
    ),
    Check(
        "age_range",
        "range",
        ("users",),
        "age",
        sql="t_age NOT BETWEEN 13 AND 120",
        reason="age: {value} is outside 13..120",
    ),
    Check(
        "country_code",
        "allowed",
        ("users",),
        "country",
        severity="warn",
        sql="NOT regexp_full_match(t_country, '[A-Z]{2}')",
        reason="country: {value!r} is not an ISO 3166-1 alpha-2 code",
    ),
    Check(
        "currency_code",
        "allowed",
        ("events",),
        "currency",
        sql="NOT regexp_full_match(t_currency, '[A-Z]{3}')",
        reason="currency: {value!r} is not a three-letter ISO 4217 code (like USD or EUR)",
    ),
    Check(
        "amount_sign",
        "range",
        ("events",),
        "amount",
        # A warning, not a rejection: a negative line amount is often a refund or a correction,
        # and revenue counts it as such (METRICS.md); the shop should see how many there are.
        severity="warn",
        sql="t_amount < 0",
        reason="amount: {value} is negative (a refund or correction?): counted as negative revenue",
    ),
    Check(
        "signup_not_future",
        "not_future",
        ("users",),
        "signup_date",
        sql="t_signup_date > CAST(:now AS DATE)",
        reason="signup_date: {value} is in the future",
    ),
    Check(
        "timestamp_not_future",
        "not_future",
        ("events", "search_logs"),
        "timestamp",
        sql="t_timestamp > CAST(:now AS TIMESTAMP) + INTERVAL 5 MINUTE",
        reason="timestamp: {value} is in the future",
    ),
    Check(
        "product_for_event",
        "required",
        ("events",),
        "product_id",
        # A warning, not a rejection: a shop without a catalog (seed 004) or an order line
        # that carries its own amount still has real views, cart adds and purchases.
        severity="warn",
        sql=f"NOT p_product_id AND t_event_type IN ({_EVENTS_WITH_PRODUCT})",
        reason="product_id: missing for a {event_type!r} event (only login has no product)",
    ),
    Check(
        "login_without_product",
        "allowed",
        ("events",),
        "product_id",
        sql="t_event_type = 'login' AND t_product_id IS NOT NULL",
        reason="product_id: a login event has no product, got {value}",
    ),
    Check(
        "user_exists",
        "reference",
        ("events", "search_logs"),
        "user_id",
        sql="t_user_id NOT IN (SELECT user_id FROM ref_users)",
        reason="user_id: {value} is not in users (orphan)",
    ),
    Check(
        "product_exists",
        "reference",
        ("events",),
        "product_id",
        sql="t_product_id NOT IN (SELECT product_id FROM ref_products)",
        reason="product_id: {value} is not in products (orphan)",
    ),
    Check(
        "unique_key",
        "unique",
        ("users", "products"),
        description="one row per key; the last occurrence wins, earlier ones are quarantined",
    ),
    Check(
        "duplicate",
        "duplicate",
        ("*",),
        severity="warn",
        threshold=0.0,
        description="exact duplicates (events: same user, type, product, timestamp) are dropped",
    ),
    Check(
        "freshness",
        "freshness",
        ("events", "search_logs"),
        "timestamp",
        severity="warn",
        limit=30,
        description="the newest record is at most 30 days old",
    ),
    Check(
        "volume",
        "volume",
        ("*",),
        severity="warn",
        limit=1,
        description="the source holds at least one record",
    ),
)


def checks_for(table: str) -> list[Check]:
    return [c for c in CHECKS if c.applies_to(table)]


@dataclass
class CheckResult:
    table: str
    check: str
    kind: str
    column: str | None
    severity: str
    threshold: float
    checked: int
    failed: int
    status: str  # ok | warn | fail
    detail: str = ""

    @property
    def pass_rate(self) -> float:
        return 1.0 if self.checked == 0 else 1.0 - self.failed / self.checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "check": self.check,
            "kind": self.kind,
            "column": self.column,
            "severity": self.severity,
            "threshold": self.threshold,
            "checked": self.checked,
            "failed": self.failed,
            "pass_rate": round(self.pass_rate, 6),
            "status": self.status,
            "detail": self.detail,
        }


def judge(check: Check, table: str, checked: int, failed: int, detail: str = "") -> CheckResult:
    """Status of a check from its counts: ok, a warning, or its severity when it trips."""
    rate = 1.0 if checked == 0 else 1.0 - failed / checked
    if failed == 0:
        status = "ok"
    elif rate < check.threshold:
        status = check.severity
    else:
        status = "warn"
    return CheckResult(
        table,
        check.name,
        check.kind,
        check.column,
        check.severity,
        check.threshold,
        checked,
        failed,
        status,
        detail,
    )


def judge_table_check(check: Check, table: str, rows_in: int, newest: Any) -> CheckResult:
    """freshness and volume: one verdict for the batch."""
    if check.kind == "volume":
        limit = int(check.limit or 1)
        bad = rows_in < limit
        detail = f"{rows_in} record(s), expected at least {limit}"
    else:
        limit_days = float(check.limit or 30)
        if newest is None:
            bad, detail = False, "no records to judge"
        else:
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            age = now - newest
            bad = age > dt.timedelta(days=limit_days)
            detail = f"newest record {newest.isoformat()} is {age.days} day(s) old"
            detail += f" (limit {limit_days:g})"
    return CheckResult(
        table,
        check.name,
        check.kind,
        check.column,
        check.severity,
        check.threshold,
        1,
        int(bad),
        check.severity if bad else "ok",
        detail,
    )
