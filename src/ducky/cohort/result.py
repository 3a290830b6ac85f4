"""The tidy cohort table's canonical shape, shared by the SQL and Polars paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

TIDY_COLUMNS = ("cohort_month", "cohort_size", "week", "retained", "rate", "complete")


def tidy_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            ("cohort_month", pa.date32()),
            ("cohort_size", pa.int64()),
            ("week", pa.int64()),
            ("retained", pa.int64()),
            ("rate", pa.float64()),
            ("complete", pa.bool_()),
        ]
    )


def normalize_tidy(table: pa.Table) -> pa.Table:
    """Cast an engine's cohort rows to one schema (engines differ in integer widths and in how
    they type a date), sorted by cohort and week, so the two paths compare row for row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = [c for c in TIDY_COLUMNS if c not in table.column_names]
    if missing:
        from ducky.errors import EngineError

        raise EngineError(f"cohort query returned no column(s) {', '.join(missing)}")
    table = table.select(list(TIDY_COLUMNS))
    month = table.column("cohort_month")
    if pa.types.is_timestamp(month.type):
        table = table.set_column(0, "cohort_month", pc.cast(month, pa.date32()))
    # A NULL `complete` (no events at all, so no last data date) means "not observed".
    complete = pc.fill_null(table.column("complete"), False)
    table = table.set_column(5, "complete", complete)
    table = table.cast(tidy_schema())
    return table.sort_by([("cohort_month", "ascending"), ("week", "ascending")])
