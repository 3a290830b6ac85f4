"""Printing results: rich tables for people, CSV / JSON for machines."""

from __future__ import annotations

import csv
import decimal
import sys
from typing import TYPE_CHECKING, Any

from ducky.tabular import dumps, jsonable, rows_of

if TYPE_CHECKING:
    import pyarrow as pa

# Re-exported: code outside the CLI used to import these from here; new code uses ducky.tabular.
__all__ = ["dumps", "emit", "jsonable", "print_table", "rows_of"]


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


def print_table(table: pa.Table, title: str | None = None, footer: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=title, show_lines=False)
    for name in table.column_names:
        numeric = table.schema.field(name).type
        justify = (
            "right"
            if str(numeric).startswith(("int", "uint", "double", "float", "decimal"))
            else "left"
        )
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in table.to_pylist():
        t.add_row(*[_cell(v) for v in row.values()])
    console.print(t)
    if footer:
        # Plain text: definitions hold brackets ("[first event date, last event date]") that
        # rich would read as markup and drop.
        console.print(footer, style="dim", markup=False, soft_wrap=False)


def emit(
    table: pa.Table,
    fmt: str,
    title: str | None = None,
    definition: str | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Write `table` to stdout as a rich table, CSV or JSON (with its definition)."""
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(table.column_names)
        for row in table.to_pylist():
            w.writerow(["" if v is None else jsonable(v) for v in row.values()])
    elif fmt == "json":
        doc: dict[str, Any] = dict(meta or {})
        if definition:
            doc["definition"] = definition
        doc["columns"] = table.column_names
        doc["rows"] = rows_of(table)
        sys.stdout.write(dumps(doc) + "\n")
    else:
        print_table(table, title=title, footer=definition)
