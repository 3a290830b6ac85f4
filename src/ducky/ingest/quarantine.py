"""Rejected rows, kept: <data>/quarantine/<table>/<digest>.parquet.

One row per rejected source record: where it came from (source, record number and whether that
is a line or a record index), every check it failed, the reasons in words, and the raw record
as JSON text. The file is named after the sha256 of the source bytes, so ingesting the same file
twice rewrites nothing, and a different file never overwrites another's rejects.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.ingest.validate import Validated

QUARANTINE_DIR = "quarantine"


def quarantine_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("table", pa.string(), False),
            pa.field("source", pa.string(), False),
            pa.field("record", pa.int64(), False),
            pa.field("record_kind", pa.string(), False),
            pa.field("checks", pa.string(), False),
            pa.field("reason", pa.string(), False),
            pa.field("raw", pa.string(), False),
        ]
    )


def relative_path(v: Validated) -> str:
    return f"{QUARANTINE_DIR}/{v.table}/{v.source.digest[:20]}.parquet"


def quarantine_table(v: Validated) -> pa.Table:
    import pyarrow as pa

    kind = "record" if v.source.fmt in ("json", "api", "parquet") else "line"
    rows = {
        "table": [v.table] * len(v.bad),
        "source": [v.source.source] * len(v.bad),
        "record": [b.record for b in v.bad],
        "record_kind": [kind] * len(v.bad),
        "checks": [",".join(dict.fromkeys(b.checks)) for b in v.bad],
        "reason": ["; ".join(b.reasons) for b in v.bad],
        "raw": [b.raw for b in v.bad],
    }
    return pa.table(rows, schema=quarantine_schema())


def write_quarantine_file(path: Path, data: pa.Table) -> None:
    """Write via a temp file and a rename so a reader never sees half a file."""
    import pyarrow.parquet as pq

    from ducky.atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".parquet.tmp") as tmp:
        pq.write_table(data, tmp, compression="zstd")


def read_quarantine(datadir: str | os.PathLike[str], table: str | None = None) -> pa.Table:
    """Every quarantined row of a data directory (optionally one table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(datadir) / QUARANTINE_DIR
    files = sorted(root.glob(f"{table or '*'}/*.parquet"))
    if not files:
        return quarantine_schema().empty_table()
    return pa.concat_tables([pq.read_table(f) for f in files])
