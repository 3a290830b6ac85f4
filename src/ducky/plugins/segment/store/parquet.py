"""The embedded default source: `<data>/search_logs/month=*/part-*.parquet`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ducky.errors import DataDirError

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir


def read_search_logs(
    datadir: DataDir, date_from: dt.datetime | None = None, date_to: dt.datetime | None = None
) -> pa.Table:
    """Search logs in `[date_from, date_to)`, canonical schema, files in sorted order."""
    import pyarrow.dataset as ds

    from ducky.schema import arrow_schema

    files = datadir.table_files("search_logs")
    if not files:
        raise DataDirError(
            f"{datadir.path}: no search logs (expected search_logs/month=*/*.parquet): "
            "generate them with `ducky gen` or pass --source es"
        )
    schema = arrow_schema("search_logs")
    dataset = ds.dataset([str(f) for f in files], format="parquet", schema=schema)
    flt = None
    if date_from is not None:
        flt = ds.field("timestamp") >= date_from
    if date_to is not None:
        cond = ds.field("timestamp") < date_to
        flt = cond if flt is None else flt & cond
    return dataset.to_table(columns=schema.names, filter=flt)
