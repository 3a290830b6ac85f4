"""Printing results: rich tables for people, CSV / JSON for machines."""

from __future__ import annotations

import csv
import decimal
import sys
from typing import TYPE_CHECKING, Any

from ducky.tables import Column, Grid, print_grid, show_rich_table
from ducky.tabular import dumps, jsonable, rows_of

if TYPE_CHECKING:
    import pyarrow as pa

# Re-exported: code outside the CLI used to import these from here; new code uses ducky.tabular.
__all__ = [
    "Column", "Grid", "dumps", "emit", "jsonable", "print_grid", "print_table", "rows_of",
    "show_rich_table",
]  # fmt: skip


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, decimal.Decimal):
        return f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _numeric(table: Any, name: str) -> bool:
    """A number column: right-aligned. `table` is an Arrow table or the DuckDB engine's `Rows`
    (the CLI's path without pyarrow), which knows its own column types."""
    if hasattr(table, "is_numeric"):
        return bool(table.is_numeric(name))
    numeric = ("int", "uint", "double", "float", "decimal")
    return str(table.schema.field(name).type).startswith(numeric)


def click_echo_err(message: str) -> None:
    sys.stderr.write(message + "\n")


def print_table(table: pa.Table, title: str | None = None, footer: str | None = None) -> None:
    """An Arrow table on screen, every value whole; `footer` is printed as plain text."""
    # The leading text columns name a row (revenue's category *and* currency): a table split
    # to fit the terminal repeats all of them, or its later parts could not be read alone.
    names = table.column_names
    numeric = [_numeric(table, n) for n in names]
    keys = next((i for i, num in enumerate(numeric) if num), len(names)) or 1
    grid = Grid(
        [
            Column(name, justify="right" if numeric[i] else "left", key=i < keys)
            for i, name in enumerate(names)
        ],
        title=title,
        notes=[footer] if footer else [],
    )
    for row in table.to_pylist():
        grid.add_row(*[_cell(v) for v in row.values()])
    print_grid(grid)


def emit(
    table: pa.Table,
    fmt: str,
    title: str | None = None,
    definition: str | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Write `table` to stdout as a rich table, CSV or JSON (with its definition).

    An empty result says so on stderr (with the date range asked for, the usual cause), so an
    empty table is never mistaken for "no activity"."""
    if table.num_rows == 0:
        params = (meta or {}).get("parameters") or {}
        lo, hi = params.get("date_from"), params.get("date_to")
        what = f"{title or 'the result'}: no rows"
        if lo or hi:
            # the parameters are the half-open [date_from, date_to) the SQL ran with
            what += f" for dates from {lo or 'the start'}" + (f" before {hi}" if hi else "")
            what += " (outside the data's range?)"
        click_echo_err(what)
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(table.column_names)
        for row in table.to_pylist():
            # money keeps its two decimals (47.50, not 47.5): str() of a Decimal keeps its scale
            w.writerow(
                [
                    "" if v is None else str(v) if isinstance(v, decimal.Decimal) else jsonable(v)
                    for v in row.values()
                ]
            )
    elif fmt == "json":
        doc: dict[str, Any] = dict(meta or {})
        if definition:
            doc["definition"] = definition
        doc["columns"] = table.column_names
        doc["rows"] = rows_of(table)
        sys.stdout.write(dumps(doc) + "\n")
    else:
        print_table(table, title=title, footer=definition)
