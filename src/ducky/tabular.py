"""JSON-ready values and rows: the conversion every layer shares (CLI, API, cohort, ingest).

It lives at the ground floor so that library code never imports from `ducky.cli`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def jsonable(v: Any) -> Any:
    """A value JSON can hold: Decimal -> int or float, date/datetime -> ISO text, else as is."""
    if isinstance(v, decimal.Decimal):
        return float(v) if v != v.to_integral_value() or abs(v) > 2**53 else int(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def rows_of(table: pa.Table) -> list[dict[str, Any]]:
    """An Arrow table as a list of JSON-ready dicts."""
    return [{k: jsonable(v) for k, v in r.items()} for r in table.to_pylist()]


def dumps(obj: Any) -> str:
    """Indented JSON with `jsonable` for the values json cannot encode itself."""
    return json.dumps(obj, indent=2, default=jsonable)
