"""Reading and validating a ducky data directory.

Layout (see docs/DATASET.md):
    users.parquet, products.parquet
    events/month=YYYY-MM/part-N.parquet        (hive-partitioned)
    search_logs/month=YYYY-MM/part-N.parquet   (optional)
    truth/*.parquet                            (generator ground truth, never read by analytics)
    manifest.json
    .ducky/                                    (state kept across rewrites: local servers, caches)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ducky.errors import DataDirError
from ducky.schema import REQUIRED_TABLES, SCHEMA_VERSION, TABLES

MANIFEST = "manifest.json"
STATE_DIR = ".ducky"
DEFAULT_DATA_DIR = "data"


def default_data_dir() -> Path:
    return Path(os.environ.get("DUCKY_DATA", DEFAULT_DATA_DIR))


@dataclass
class Manifest:
    schema_version: int
    producer: dict[str, Any]
    tables: dict[str, dict[str, Any]]
    date_range: dict[str, str | None]
    created_at: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        known = {"schema_version", "producer", "tables", "date_range", "created_at"}
        return cls(
            schema_version=int(d["schema_version"]),
            producer=dict(d.get("producer", {})),
            tables=dict(d.get("tables", {})),
            date_range=dict(d.get("date_range", {})),
            created_at=str(d.get("created_at", "")),
            extra={k: v for k, v in d.items() if k not in known},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "producer": self.producer,
            "tables": self.tables,
            "date_range": self.date_range,
            "created_at": self.created_at,
            **self.extra,
        }

    def rows(self, table: str) -> int:
        return int(self.tables.get(table, {}).get("rows", 0))


class DataDir:
    """A data directory on disk. Cheap to construct; `validate()` checks it against the contract."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DataDir({str(self.path)!r})"

    # -- paths -----------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def state_dir(self) -> Path:
        """Per-directory state that survives regeneration (local PostgreSQL, caches)."""
        return self.path / STATE_DIR

    def table_path(self, table: str) -> Path:
        t = TABLES[table]
        return self.path / t.name if t.partitioned else self.path / f"{t.name}.parquet"

    def table_files(self, table: str) -> list[Path]:
        p = self.table_path(table)
        if TABLES[table].partitioned:
            return sorted(p.glob("month=*/*.parquet")) if p.is_dir() else []
        return [p] if p.is_file() else []

    def present_columns(self, table: str) -> list[str]:
        """`table`'s canonical columns that at least one of its files holds (optional ones may
        be absent): engines read an absent column as NULL. Reads only the files' footers."""
        import pyarrow.parquet as pq

        names: set[str] = set()
        for f in self.table_files(table):
            names.update(pq.read_schema(f).names)
        return [c.name for c in TABLES[table].columns if not c.optional or c.name in names]

    def table_glob(self, table: str) -> str:
        """A glob every engine can hand to its Parquet reader."""
        p = self.table_path(table)
        return str(p / "month=*" / "*.parquet") if TABLES[table].partitioned else str(p)

    def has_table(self, table: str) -> bool:
        # The first file found answers: no sorted listing of every month (asked for each table
        # several times per query; ~10 ms of a rollup answer at 100M events).
        p = self.table_path(table)
        if TABLES[table].partitioned:
            return p.is_dir() and next(p.glob("month=*/*.parquet"), None) is not None
        return p.is_file()

    def months(self, table: str = "events") -> list[str]:
        p = self.table_path(table)
        return sorted(d.name.split("=", 1)[1] for d in p.glob("month=*") if d.is_dir())

    # -- manifest and validation -----------------------------------------------------------
    def exists(self) -> bool:
        return self.path.is_dir()

    def manifest(self) -> Manifest:
        if not self.path.is_dir():
            # a writer killed between its two renames: put the complete copy back in place
            from ducky.atomic import recover_dir

            recover_dir(self.path)
        if not self.path.is_dir():
            raise DataDirError(
                f"data directory {self.path} does not exist: create one with `ducky gen` "
                "or `ducky ingest`, or point --data / DUCKY_DATA at one"
            )
        if not self.manifest_path.is_file():
            raise DataDirError(
                f"{self.path} is not a ducky data directory (no {MANIFEST}): create one with "
                "`ducky gen` or `ducky ingest`"
            )
        try:
            raw = json.loads(self.manifest_path.read_text())
            m = Manifest.from_dict(raw)
        except (ValueError, KeyError, TypeError) as e:
            raise DataDirError(f"{self.manifest_path} is not a valid manifest: {e}") from e
        if m.schema_version != SCHEMA_VERSION:
            raise DataDirError(
                f"{self.path} has schema version {m.schema_version}, this ducky reads "
                f"version {SCHEMA_VERSION}: regenerate it with `ducky gen`"
            )
        return m

    def fingerprint(self, tables: list[str] | tuple[str, ...] | None = None) -> dict[str, Any]:
        """What identifies this directory's current contents (path, manifest time, schema
        version, row counts of `tables`, default: the tables present): a database loaded from
        it, and rollups built from that, are current while it is unchanged."""
        m = self.manifest()
        names = [t for t in TABLES if self.has_table(t)] if tables is None else tables
        return {
            "path": str(self.path.resolve()),
            "created_at": m.created_at,
            "schema_version": m.schema_version,
            "rows": {t: m.rows(t) for t in sorted(names)},
        }

    def id_types(self) -> dict[str, str]:
        """How this directory stores each id kind: {"user_id": "int64" | "string", ...}, read
        from the Parquet schemas (integers when no table holds that kind)."""
        import pyarrow.parquet as pq

        from ducky.schema import INT_IDS, id_types_of

        out = dict(INT_IDS)
        for t in ("events", "users", "products", "search_logs"):
            files = self.table_files(t)
            if files:
                for kind, typ in id_types_of(pq.read_schema(files[0]), t).items():
                    if typ == "string":
                        out[kind] = "string"
        return out

    def validate(self, tables: tuple[str, ...] = REQUIRED_TABLES, deep: bool = True) -> Manifest:
        """Check layout and Parquet schemas; raise DataDirError naming the first problem."""
        m = self.manifest()
        for name in tables:
            files = self.table_files(name)
            if not files:
                where = self.table_path(name).relative_to(self.path)
                # An ingest of only users, or of a header-only events file, leaves a valid
                # directory without this table: say how to add it, not just that it is absent.
                flag = "--" + name.replace("_", "-")
                raise DataDirError(
                    f"{self.path}: table {name} is missing (expected {where}): nothing was "
                    f"ingested for it yet; add it with `ducky ingest {flag} FILE`"
                )
        if deep:
            # Opening every Parquet footer costs ~0.1 s per call on a real shop; a directory
            # whose files (names, sizes, mtimes) and manifest are unchanged since the last
            # successful check is still valid, so the check is skipped on a matching stamp.
            stamp = self._validation_stamp(tables)
            if stamp is None or self._read_stamp() != stamp:
                for name in tables:
                    for f in self.table_files(name):
                        check_file_schema(f, name, root=self.path)
                if stamp is not None:
                    self._write_stamp(stamp)
        return m

    _STAMP = "validated.json"

    def _validation_stamp(self, tables: tuple[str, ...]) -> str | None:
        """A stat-only fingerprint of what `validate` checked (None: cannot stat)."""
        import hashlib

        h = hashlib.sha256(f"{SCHEMA_VERSION}|{sorted(tables)}".encode())
        try:
            for p in [self.manifest_path, *(f for t in tables for f in self.table_files(t))]:
                st = p.stat()
                h.update(f"{p.relative_to(self.path)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            return None
        return h.hexdigest()

    def _read_stamp(self) -> str | None:
        try:
            return str(json.loads((self.state_dir / self._STAMP).read_text())["stamp"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_stamp(self, stamp: str) -> None:
        # Best effort: a read-only data directory just validates deeply every time.
        try:
            self.state_dir.mkdir(exist_ok=True)
            tmp = self.state_dir / f".{self._STAMP}.{os.getpid()}"
            tmp.write_text(json.dumps({"stamp": stamp}))
            tmp.replace(self.state_dir / self._STAMP)
        except OSError:
            pass


def check_file_schema(path: Path, table: str, root: Path | None = None) -> None:
    """Raise DataDirError unless the Parquet file at `path` has `table`'s canonical schema."""
    import pyarrow.parquet as pq

    from ducky.schema import arrow_schema

    shown = path.relative_to(root) if root else path
    try:
        actual = pq.read_schema(path)
    except Exception as e:  # pyarrow raises several types for a corrupt file
        raise DataDirError(f"{shown}: not a readable Parquet file ({e})") from e
    from ducky.schema import id_types_of

    # Id columns may be integers or strings (decided per data directory); the rest is fixed.
    expected = arrow_schema(table, id_types_of(actual, table), present=actual.names)
    # Optional columns may be absent; when present they are checked like the others.
    for f in expected:
        idx = actual.get_field_index(f.name)
        if idx < 0:
            raise DataDirError(f"{shown}: column {f.name!r} is missing (table {table})")
        got = actual.field(idx).type
        if not got.equals(f.type):
            raise DataDirError(
                f"{shown}: column {f.name!r} has type {got}, expected {f.type} (table {table})"
            )
    extra = [n for n in actual.names if expected.get_field_index(n) < 0 and n != "month"]
    if extra:
        raise DataDirError(f"{shown}: unexpected column(s) {', '.join(extra)} (table {table})")
