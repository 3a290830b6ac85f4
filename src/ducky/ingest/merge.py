"""Merging good rows into a data directory, idempotently.

users/products: key-based upsert (a new key is inserted, a changed row replaces the old one, an
identical row changes nothing). events/search_logs: a row already present (same user, type,
product, timestamp; null product equal to null) is dropped; only months that receive new rows
are rewritten, the others are hard-linked from the previous directory. Everything goes through
DatasetWriter, so the directory is replaced atomically or not at all.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ducky.datasets.datadir import MANIFEST, STATE_DIR
from ducky.schema import TABLES

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir, DatasetWriter


@dataclass
class TableMerge:
    table: str
    inserted: int = 0
    updated: int = 0
    already_present: int = 0
    result: pa.Table | None = None  # unpartitioned: the whole new table
    months: dict[str, pa.Table] = field(default_factory=dict)  # partitioned: rewritten months

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


def _q(name: str) -> str:
    return '"' + name + '"'


def _same(cols: list[str], a: str, b: str) -> str:
    return " AND ".join(f"{a}.{_q(c)} IS NOT DISTINCT FROM {b}.{_q(c)}" for c in cols)


def _read_old(files: list[Path], new: pa.Table) -> pa.Table:
    """The existing files of a table in the columns and types of the `new` rows: an optional
    column (order_id, amount, ...) that files written before it existed lack reads as NULL."""
    import pyarrow.dataset as ds

    return ds.dataset([str(f) for f in files], format="parquet", schema=new.schema).to_table()


def plan_table(existing: DataDir | None, table: str, good: pa.Table) -> TableMerge:
    """Work out what merging `good` (canonical columns) into `existing` changes."""

    from ducky.ingest.duck import connect, q

    t = TABLES[table]
    cols = t.column_names
    new = good.select(cols)
    files = existing.table_files(table) if existing else []
    out = TableMerge(table)
    con = connect()
    try:
        con.register("new", new)
        if not t.partitioned:
            # no files yet: an empty table typed like the new rows (string ids stay strings)
            old = _read_old(files, new) if files else new.schema.empty_table()
            con.register("old", old)
            key = t.key
            same = _same(cols, "n", "o")
            on = " AND ".join(f"n.{_q(k)} = o.{_q(k)}" for k in key)
            row = q(
                con,
                f"SELECT count(*) FILTER (WHERE o.{_q(key[0])} IS NULL), "
                f"count(*) FILTER (WHERE o.{_q(key[0])} IS NOT NULL AND NOT ({same})), "
                f"count(*) FILTER (WHERE o.{_q(key[0])} IS NOT NULL AND ({same})) "
                f"FROM new n LEFT JOIN old o ON {on}",
            ).fetchone()
            assert row is not None
            out.inserted, out.updated, out.already_present = (int(x) for x in row)
            if out.changed:
                keys = ", ".join(_q(k) for k in key)
                out.result = con.sql(
                    f"SELECT * FROM (SELECT * FROM old o WHERE NOT EXISTS "
                    f"(SELECT 1 FROM new n WHERE {on}) UNION ALL SELECT * FROM new) "
                    f"ORDER BY {keys}"
                ).to_arrow_table()
            return out

        q(
            con,
            "CREATE TEMP TABLE n AS SELECT *, strftime(\"timestamp\", '%Y-%m') AS month FROM new",
        )
        months = [r[0] for r in q(con, "SELECT DISTINCT month FROM n ORDER BY 1").fetchall()]
        old_files = [f for f in files if f.parent.name.split("=", 1)[1] in set(months)]
        old = _read_old(old_files, new) if old_files else new.schema.empty_table()
        con.register("old", old)
        q(
            con,
            "CREATE TEMP TABLE fresh AS SELECT n.* FROM n ANTI JOIN old o ON "
            + _same(cols, "n", "o"),
        )
        (fresh,) = q(con, "SELECT count(*) FROM fresh").fetchone() or (0,)
        out.inserted = int(fresh)
        out.already_present = new.num_rows - out.inserted
        if out.inserted:
            order = ", ".join(_q(c) for c in ("timestamp", "user_id", *cols[1:]) if c in cols)
            order = ", ".join(dict.fromkeys(order.split(", ")))
            sel = ", ".join(_q(c) for c in cols)
            changed = [
                r[0] for r in q(con, "SELECT DISTINCT month FROM fresh ORDER BY 1").fetchall()
            ]
            for m in changed:
                lit = "'" + m.replace("'", "''") + "'"
                out.months[m] = con.sql(
                    f'SELECT {sel} FROM (SELECT {sel} FROM old WHERE strftime("timestamp", '
                    f"'%Y-%m') = {lit} UNION ALL SELECT {sel} FROM fresh WHERE month = {lit}) "
                    f"ORDER BY {order}"
                ).to_arrow_table()
        return out
    finally:
        con.close()


def _link_tree(src: Path, dst: Path) -> None:
    """Hard-link (or copy, across filesystems) a file or folder; files are never modified."""

    def link(a: str, b: str) -> Any:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)
        return b

    if src.is_dir():
        shutil.copytree(src, dst, copy_function=link, dirs_exist_ok=True)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        link(str(src), str(dst))


def write_merged(
    writer: DatasetWriter,
    existing: DataDir | None,
    merges: dict[str, TableMerge],
    extra_files: dict[str, pa.Table],
    rederive: set[str] | None = None,
) -> None:
    """Fill the writer's temp directory: the previous contents, then the changed tables;
    `rederive`: tables an earlier ingest derived, derived again from the merged events."""
    import pyarrow.parquet as pq

    if existing is not None and existing.path.is_dir():
        for entry in existing.path.iterdir():
            if entry.name in (MANIFEST, STATE_DIR):
                continue
            _link_tree(entry, writer.tmp / entry.name)
    for name, m in merges.items():
        if not m.changed:
            continue
        if m.result is not None:
            target = writer.tmp / f"{name}.parquet"
            target.unlink(missing_ok=True)
            writer.write_table(name, m.result)
        for month, data in m.months.items():
            folder = writer.tmp / name / f"month={month}"
            if folder.exists():
                shutil.rmtree(folder)
            writer.write_partition(name, month, data)
    for rel, data in extra_files.items():
        target = writer.path(rel)
        target.unlink(
            missing_ok=True
        )  # a hard link to the old directory's file: never write through it
        pq.write_table(data, target, compression="zstd")
    for name in rederive or ():
        (writer.tmp / f"{name}.parquet").unlink(missing_ok=True)
    _fill_optional_tables(writer)


def _fill_optional_tables(writer: DatasetWriter) -> None:
    """A shop without a catalog or a users table still gets a complete data directory.

    No products: an empty products table (no invented rows; revenue and categories then read
    "unknown" for every event). No users: one row per user seen in events, signup = the date of
    their first event. Both are recorded under `derived` in the manifest so every definition
    that depends on them can say so.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    from ducky.schema import arrow_schema

    derived: dict[str, str] = dict(writer.extra.get("derived") or {})
    if not (writer.tmp / "products.parquet").exists():
        writer.write_table("products", arrow_schema("products").empty_table())
        derived["products"] = "absent: no catalog was ingested (an empty table)"
    events_dir = writer.tmp / "events"
    if not (writer.tmp / "users.parquet").exists() and events_dir.is_dir():
        ev = ds.dataset(events_dir, format="parquet", partitioning="hive").to_table(
            columns=["user_id", "timestamp"]
        )
        first = ev.group_by("user_id").aggregate([("timestamp", "min")])
        signup = pc.cast(first.column("timestamp_min"), pa.date32())
        users = pa.table({"user_id": first.column("user_id"), "signup_date": signup})
        schema = arrow_schema("users")
        cols = {
            f.name: users.column(f.name)
            if f.name in users.column_names
            else pa.nulls(len(users), f.type)
            for f in schema
        }
        writer.write_table("users", pa.table(cols).sort_by("user_id"))
        derived["users"] = "derived from events: signup_date = the date of the user's first event"
    if derived:
        writer.extra["derived"] = derived
