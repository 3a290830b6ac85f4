"""Typing source values into the canonical schema, as DuckDB SQL expressions (vectorized).

Each canonical column gets a typed expression and a `present` expression over its source
column. A value that is present but whose typed expression is NULL failed to convert: that is
the `type` check, and `type_reason` says why in words. Conversions refuse to lose information:
'12.5' is not an integer and '1.234' is not a price (DECIMAL(12,2)); a timestamp with an offset
is converted to UTC, one without is taken as UTC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ducky.schema import PRICE_PRECISION, PRICE_SCALE, sql_type

if TYPE_CHECKING:
    import pyarrow as pa

_INT = r"'[+-]?[0-9]+(\.0+)?'"
_EPOCH = r"'[0-9]{9,10}'"
_EPOCH_MS = r"'[0-9]{12,13}'"
DECIMAL = f"DECIMAL({PRICE_PRECISION},{PRICE_SCALE})"

TYPE_WORDS = {
    "int64": "an integer",
    "int32": "a 32-bit integer",
    "string": "a string",
    "date": "a date (YYYY-MM-DD)",
    "timestamp": "a timestamp (ISO 8601)",
    "decimal": f"a decimal with at most {PRICE_SCALE} places that fits {DECIMAL}",
    "list<int64>": "a list of integers like [1, 2]",
    "list<string>": "a list of ids like [p01, p02]",
}


def _is_text(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def present_expr(col: str, source_type: pa.DataType) -> str:
    """TRUE when the source holds a value (empty and blank strings count as missing)."""
    if _is_text(source_type):
        # trim() only for values that start or end with a blank (rare): it is not free.
        return (
            f"({col} IS NOT NULL AND {col} <> '' AND NOT ((starts_with({col}, ' ') "
            f"OR ends_with({col}, ' ')) AND trim({col}) = ''))"
        )
    return f"({col} IS NOT NULL)"


def typed_expr(col: str, logical: str, source_type: pa.DataType) -> str:
    """SQL that converts source column `col` to the canonical type, or NULL when it cannot."""
    import pyarrow as pa

    target = sql_type(logical)
    if not _is_text(source_type):
        if logical in ("int64", "int32") and pa.types.is_floating(source_type):
            return f"CASE WHEN {col} = trunc({col}) THEN TRY_CAST({col} AS {target}) END"
        if logical == "decimal" and pa.types.is_floating(source_type):
            return (
                f"CASE WHEN abs(TRY_CAST({col} AS {target}) - {col}) < 1e-9 "
                f"THEN TRY_CAST({col} AS {target}) END"
            )
        if logical == "string":
            return f"CAST({col} AS VARCHAR)"
        return f"TRY_CAST({col} AS {target})"
    # DuckDB's casts already ignore surrounding blanks; the slower checks (regex, ICU time
    # zones) only run on the values that need them, selected by cheap `contains` tests.
    v = col
    if logical in ("int64", "int32"):
        return (
            f"CASE WHEN contains({v}, '.') OR contains(lower({v}), 'e') "
            f"THEN CASE WHEN regexp_full_match(trim({v}), {_INT}) "
            f"THEN TRY_CAST(trim({v}) AS {target}) END "
            f"ELSE TRY_CAST({v} AS {target}) END"
        )
    if logical == "string":
        return f"NULLIF({col}, '')"
    if logical == "date":
        return f"COALESCE(TRY_CAST({v} AS DATE), CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
    if logical == "timestamp":
        # An offset (Z, +hh:mm, -hh:mm, -hhmm, -hh) needs the slower TIMESTAMPTZ (ICU) cast.
        n = f"length({v})"
        offset = (
            f"{n} > 19 AND (ends_with({v}, 'Z') OR ends_with({v}, 'z') OR contains({v}, '+') "
            f"OR substr({v}, {n} - 5, 1) = '-' OR substr({v}, {n} - 4, 1) = '-' "
            f"OR substr({v}, {n} - 2, 1) = '-')"
        )
        return (
            f"CASE WHEN NOT contains({v}, '-') THEN CASE WHEN regexp_full_match(trim({v}), "
            f"{_EPOCH}) THEN CAST(to_timestamp(CAST(trim({v}) AS BIGINT)) AS TIMESTAMP) "
            # 12-13 digits: epoch milliseconds (JavaScript, many trackers)
            f"WHEN regexp_full_match(trim({v}), {_EPOCH_MS}) "
            f"THEN CAST(epoch_ms(CAST(trim({v}) AS BIGINT)) AS TIMESTAMP) END "
            f"WHEN {offset} THEN CAST(TRY_CAST(trim({v}) AS TIMESTAMPTZ) AS TIMESTAMP) "
            f"ELSE TRY_CAST({v} AS TIMESTAMP) END"
        )
    if logical == "decimal":
        return (
            f"CASE WHEN TRY_CAST({v} AS DECIMAL(38,10)) = TRY_CAST({v} AS {target}) "
            f"THEN TRY_CAST({v} AS {target}) END"
        )
    if logical in ("list<int64>", "list<string>"):
        lst = f"TRY_CAST(trim({v}) AS {target})"
        # '[x]' casts to [NULL]: a list is valid only when every element converted.
        return f"CASE WHEN list_aggregate({lst}, 'count') = len({lst}) THEN {lst} END"
    raise ValueError(f"unknown logical type {logical}")


def type_reason(column: str, logical: str, raw: object) -> str:
    return f"{column}: {raw!r} is not {TYPE_WORDS[logical]}"
