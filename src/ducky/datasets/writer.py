"""Atomic writer for a whole data directory.

Everything is written into a hidden sibling temp directory; only when the producer finishes
without error is the manifest written and the temp directory swapped into place with renames
(same filesystem, so each rename is atomic). A failure or Ctrl-C at any point removes the temp
directory and leaves the previous data directory exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ducky.atomic import _pause, recover_dir, swap_dir, temp_dir_for
from ducky.datasets import layout
from ducky.datasets.datadir import MANIFEST, STATE_DIR, Manifest
from ducky.errors import DataDirError, UserError
from ducky.schema import SCHEMA_VERSION, TABLES, arrow_schema
from ducky.version import __version__

if TYPE_CHECKING:
    import pyarrow as pa


class DatasetWriter:
    """Context manager that produces a complete data directory at `target` or nothing at all."""

    def __init__(
        self,
        target: str | os.PathLike[str],
        producer: str,
        parameters: dict[str, Any] | None = None,
        overwrite: bool = True,
        extra: dict[str, Any] | None = None,
        finish: Callable[[Path], dict[str, Any]] | None = None,
    ) -> None:
        """`finish`: called with the staging directory once every file is written; what it
        returns joins the manifest (facts about the complete data, e.g. the DuckDB engine's
        idhash.manifest_entry), so they are swapped into place with the files they describe."""
        self.target = Path(target).absolute()
        self.producer = producer
        self.parameters = dict(parameters or {})
        self.overwrite = overwrite
        self.extra = dict(extra or {})
        self.finish = finish
        self.tmp = temp_dir_for(self.target)  # .NAME.tmp-PID-ID: see ducky.atomic
        self._part_counter: dict[tuple[str, str], int] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> DatasetWriter:
        if self.target.exists() and not self.target.is_dir():
            raise UserError(f"{self.target} exists and is not a directory")
        if self.target.exists() and not self.overwrite and any(self.target.iterdir()):
            raise UserError(f"{self.target} already exists: pass --force to replace it")
        self.target.parent.mkdir(parents=True, exist_ok=True)
        recover_dir(self.target)  # a crashed earlier run: finish or roll back, drop garbage
        self.tmp.mkdir()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        try:
            if self.finish is not None:
                self.extra.update(self.finish(self.tmp))
            self._write_manifest()
            self._swap_into_place()
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    # -- writing -----------------------------------------------------------------------------
    def path(self, relative: str) -> Path:
        """A path inside the directory being written (for derived files such as truth/)."""
        p = self.tmp / relative
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write_table(self, table: str, data: pa.Table) -> Path:
        """Write an unpartitioned table (users, products) in one file."""
        import pyarrow.parquet as pq

        t = TABLES[table]
        if t.partitioned:
            raise ValueError(f"{table} is partitioned: use write_partition")
        data = _conform(data, table)
        out = self.path(f"{t.name}.parquet")
        pq.write_table(data, out, compression="zstd", row_group_size=1 << 20)
        return out

    def write_partition(self, table: str, month: str, data: pa.Table) -> Path:
        """Append one file to the month partition (`YYYY-MM`) of a partitioned table."""
        import pyarrow.parquet as pq

        if not TABLES[table].partitioned:
            raise ValueError(f"{table} is not partitioned: use write_table")
        data = _conform(data, table)
        n = self._part_counter.get((table, month), 0)
        self._part_counter[(table, month)] = n + 1
        out = self.path(f"{table}/month={month}/part-{n}.parquet")
        data = layout.cluster(table, data)
        pq.write_table(data, out, compression="zstd", row_group_size=layout.ROW_GROUP_ROWS)
        return out

    def write_truth(self, name: str, data: pa.Table) -> Path:
        import pyarrow.parquet as pq

        out = self.path(f"truth/{name}.parquet")
        pq.write_table(data, out, compression="zstd")
        return out

    # -- finishing ---------------------------------------------------------------------------
    def _write_manifest(self) -> None:
        import pyarrow.parquet as pq

        tables: dict[str, dict[str, Any]] = {}
        for name, t in TABLES.items():
            files = (
                sorted((self.tmp / name).glob("month=*/*.parquet"))
                if t.partitioned
                else [p for p in [self.tmp / f"{name}.parquet"] if p.is_file()]
            )
            if not files:
                continue
            rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            tables[name] = {"rows": rows, "files": len(files)}
        date_range: dict[str, str | None] = {"first_event": None, "last_event": None}
        bounds = _timestamp_bounds(sorted((self.tmp / "events").glob("month=*/*.parquet")))
        if bounds is not None:
            date_range = {"first_event": bounds[0].isoformat(), "last_event": bounds[1].isoformat()}
        m = Manifest(
            schema_version=SCHEMA_VERSION,
            producer={"name": self.producer, "version": __version__, "parameters": self.parameters},
            tables=tables,
            date_range=date_range,
            created_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            extra=self.extra,
        )
        (self.tmp / MANIFEST).write_text(json.dumps(m.to_dict(), indent=2, default=str) + "\n")

    def _swap_into_place(self) -> None:
        # Keep per-directory state (a local PostgreSQL cluster, embedding caches).
        _pause("writer-complete")
        try:
            swap_dir(self.tmp, self.target, keep=(STATE_DIR,))
        except OSError as e:
            raise DataDirError(f"could not move the new data into {self.target}: {e}") from e


def _timestamp_bounds(files: list[Path]) -> tuple[dt.datetime, dt.datetime] | None:
    """Exact min/max event timestamp from Parquet row-group statistics (no data scan: at 100M
    events reading the column would cost ~800 MB). Falls back to reading the column of a file
    whose row groups carry no statistics."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    lo: dt.datetime | None = None
    hi: dt.datetime | None = None
    for f in files:
        meta = pq.ParquetFile(f).metadata
        idx = meta.schema.to_arrow_schema().get_field_index("timestamp")
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            if rg.num_rows == 0:
                continue
            st = rg.column(idx).statistics
            if st is not None and st.has_min_max:
                gmin, gmax = st.min, st.max
            else:
                mm = pc.min_max(pq.read_table(f, columns=["timestamp"])["timestamp"]).as_py()
                gmin, gmax = mm["min"], mm["max"]
            lo = gmin if lo is None or gmin < lo else lo
            hi = gmax if hi is None or gmax > hi else hi
    return (lo, hi) if lo is not None and hi is not None else None


def _conform(data: pa.Table, table: str) -> pa.Table:
    """Select and cast columns to the canonical schema; refuse anything lossy."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ducky.schema import id_types_of

    # Ids keep the type the producer gave them (integers, or a shop's string ids), one type
    # per column: the schema follows the data's id columns, every other column is canonical.
    schema = arrow_schema(table, id_types_of(data.schema, table), present=data.column_names)
    # Optional columns the data lacks stay absent (engines read them as NULL).
    missing = [f.name for f in schema if f.name not in data.column_names]
    if missing:
        raise ValueError(f"{table}: missing column(s) {missing}")
    data = data.select(schema.names)
    for f in schema:
        src = data.schema.field(f.name).type
        # Arrow rounds floats into decimals silently; a price of 1.234 must not become 1.23.
        if pa.types.is_floating(src) and pa.types.is_decimal(f.type):
            col = data[f.name]
            back = pc.cast(pc.cast(col, f.type, safe=True), pa.float64())
            if not pc.all(pc.less_equal(pc.abs(pc.subtract(back, col)), 1e-9)).as_py():
                raise ValueError(f"{table}.{f.name}: values do not fit {f.type} without rounding")
    return data.cast(schema, safe=True)
