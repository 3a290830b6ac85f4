"""Typing source values into the canonical schema, as DuckDB SQL expressions (vectorized).

Each canonical column gets a typed expression and a `present` expression over its source
column. A value that is present but whose typed expression is NULL failed to convert: that is
the `type` check, and `type_reason` says why in words. Conversions refuse to lose information:
'12.5' is not an integer and '1.234' is not a price (DECIMAL(12,2)); a timestamp with an offset
is converted to UTC, one without is taken as UTC.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ducky.schema import PRICE_PRECISION, PRICE_SCALE, sql_type

if TYPE_CHECKING:
    import pyarrow as pa

_INT = r"'[+-]?[0-9]+(\.0+)?'"
# Epoch numbers. Each unit's values for the years 1973-2286 have their own number of integer
# digits (seconds 9-10, milliseconds 12-13, microseconds 15-16), so a number in one of these
# bands reads one way only; any other number (8 or 11 digits, negative...) could be either
# unit and is refused as ambiguous, naming the mapping key (`formats: {t.c: epoch_s}`).
EPOCH_UNITS = {"epoch_s": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}  # µs per unit
_BANDS = {"epoch_s": (9, 10), "epoch_ms": (12, 13), "epoch_us": (15, 16)}  # integer digits
_NUMBER = r"'[+-]?[0-9]{1,19}(\.[0-9]{0,9})?'"  # what an explicit epoch format accepts
# µs of 0001-01-01 and 9999-12-31 23:59:59.999999: the datetimes every reader can hold
_MIN_US, _MAX_US = -62_135_596_800_000_000, 253_402_300_799_999_999
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


def _from_us(us: str) -> str:
    """A timestamp from a BIGINT µs expression, NULL outside years 1..9999 (never an error)."""
    return f"CASE WHEN {us} BETWEEN {_MIN_US} AND {_MAX_US} THEN make_timestamp({us}) END"


def epoch_expr(col: str, unit: str, source_type: pa.DataType) -> str:
    """Timestamp from an epoch number in `unit` (a key of EPOCH_UNITS): int, float or text.

    NULL (a `type` failure) when the value is not a number or lies outside years 1..9999.
    """
    import pyarrow as pa

    f = EPOCH_UNITS[unit]
    if pa.types.is_integer(source_type):
        # HUGEINT: the product cannot overflow; TRY_CAST gives NULL where BIGINT cannot hold it
        us = f"TRY_CAST(CAST({col} AS HUGEINT) * {f} AS BIGINT)"
    elif pa.types.is_floating(source_type) or pa.types.is_decimal(source_type):
        us = f"TRY_CAST(round(CAST({col} AS DOUBLE) * {f}) AS BIGINT)"
    elif _is_text(source_type):
        # DECIMAL keeps a fraction exact (1709553600.5 s); the regex bounds its size first
        num = f"TRY_CAST(trim({col}) AS DECIMAL(38,9))"
        us = (
            f"(CASE WHEN regexp_full_match(trim({col}), {_NUMBER}) "
            f"THEN TRY_CAST(round({num} * {f}) AS BIGINT) END)"
        )
    else:
        return "CAST(NULL AS TIMESTAMP)"
    return _from_us(us)


def _band_sql(col: str, unit: str, numeric: bool) -> str:
    lo, hi = _BANDS[unit]
    if numeric:
        return f"({col} >= 1e{lo - 1} AND {col} < 1e{hi})"
    return f"regexp_full_match(trim({col}), '[0-9]{{{lo},{hi}}}(\\.[0-9]*)?')"


def epoch_auto_expr(col: str, source_type: pa.DataType) -> str:
    """A number read by its digit band (EPOCH_UNITS' comment); NULL outside every band."""
    numeric = not _is_text(source_type)
    cases = " ".join(
        f"WHEN {_band_sql(col, u, numeric)} THEN {epoch_expr(col, u, source_type)}"
        for u in EPOCH_UNITS
    )
    return f"CASE {cases} END"


def epoch_ambiguous_sql(col: str, source_type: pa.DataType) -> str:
    """TRUE for a value that is a number but in no band (only asked of rows that failed)."""
    if not _is_text(source_type):
        return "TRUE"
    return f"regexp_full_match(trim({col}), {_NUMBER})"


def is_numeric(source_type: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(source_type)
        or pa.types.is_floating(source_type)
        or pa.types.is_decimal(source_type)
    )


# A zone abbreviation (PST, CST, IST...) names different offsets in different places and
# seasons: it is never guessed (the row is quarantined); UTC and GMT are not ambiguous.
_ABBREVIATION = r".*[0-9]\s*([A-Za-z]{2,5})"  # the SQL test and the quarantine reason


def _text_ts(v: str) -> str:
    """A text timestamp (not an epoch) as a UTC TIMESTAMP, or NULL.

    Anything after the date that is not a plain wall-clock time (an offset in any ISO form,
    Z, an IANA zone name) goes through the slower TIMESTAMPTZ (ICU) cast, selected by cheap
    tests; a value with a zone abbreviation other than UTC/GMT is NULL (not a guess).
    """
    t = f"trim({v})"
    tail = f"substr({t}, 12)"
    zoned = f"contains({tail}, '+') OR contains({tail}, '-') OR lower({tail}) <> upper({tail})"
    abbreviation = (
        f"regexp_full_match({tail}, '{_ABBREVIATION}') "
        f"AND upper(right({t}, 3)) NOT IN ('UTC', 'GMT')"
    )
    # '12:00:00 +05:00': ICU wants the offset next to the time.
    glued = f"regexp_replace({t}, '\\s+([+-][0-9])', '\\1')"
    return (
        f"CASE WHEN length({t}) > 10 AND ({zoned}) THEN "
        f"CASE WHEN {abbreviation} THEN CAST(NULL AS TIMESTAMP) "
        f"ELSE CAST(TRY_CAST({glued} AS TIMESTAMPTZ) AS TIMESTAMP) END "
        f"ELSE TRY_CAST({v} AS TIMESTAMP) END"
    )


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
        if logical in ("timestamp", "date") and is_numeric(source_type):
            # a number in a time column (JSON, Parquet): epoch, by its digit band
            return f"CAST({epoch_auto_expr(col, source_type)} AS {target})"
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
        # No '-' (cheap test): maybe an epoch number, read like a timestamp's (its UTC day).
        return (
            f"CASE WHEN NOT contains({v}, '-') AND NOT contains({v}, '/') "
            f"AND regexp_full_match(trim({v}), {_NUMBER}) "
            f"THEN CAST({epoch_auto_expr(v, source_type)} AS DATE) "
            f"WHEN length(trim({v})) > 10 THEN CAST({_text_ts(v)} AS DATE) "
            f"ELSE TRY_CAST({v} AS DATE) END"
        )
    if logical == "timestamp":
        # No '-' (cheap test): maybe an epoch number, read by its digit band.
        return (
            f"CASE WHEN NOT contains({v}, '-') THEN {epoch_auto_expr(v, source_type)} "
            f"ELSE {_text_ts(v)} END"
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


def type_reason(column: str, logical: str, raw: object, fmt: str | None = None) -> str:
    if fmt is not None and logical in ("timestamp", "date"):
        if fmt in EPOCH_UNITS:
            return f"{column}: {raw!r} is not a time in {fmt} (the mapping's format)"
        return f"{column}: {raw!r} does not match the mapping's format {fmt!r}"
    if logical in ("timestamp", "date") and isinstance(raw, str):
        if re.match(r"\s*[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}", raw):
            return (
                f"{column}: {raw!r} is a day/month date, read only with the mapping's "
                f'formats (e.g. "%m/%d/%Y" or "%d/%m/%Y")'
            )
        z = re.fullmatch(r".*[0-9]\s+([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+)", raw.strip())
        if z:  # a zone name, as IANA's look: one the time zone database does not know
            return (
                f"{column}: {raw!r} names the time zone {z.group(1)!r}, which the time zone "
                "database does not know (IANA names such as Europe/Berlin, or an offset)"
            )
        m = re.fullmatch(_ABBREVIATION, raw.strip())
        if m and m.group(1).upper() not in ("UTC", "GMT"):
            return (
                f"{column}: {raw!r} has the time zone abbreviation {m.group(1)!r}, which is "
                "ambiguous (not guessed): use an offset (+05:30) or an IANA name "
                "(America/New_York)"
            )
    return f"{column}: {raw!r} is not {TYPE_WORDS[logical]}"
