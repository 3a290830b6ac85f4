"""Dataset contract: manifest, validation messages and the atomic writer."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ducky.datasets import DataDir, DatasetWriter
from ducky.engines.registry import create_table_sql
from ducky.errors import DataDirError
from ducky.schema import SCHEMA_VERSION, TABLES, arrow_schema
from tests import handmade
from tests.handmade import write_datadir


def test_manifest_records_counts_and_range(handmade_dir: Path) -> None:
    m = DataDir(handmade_dir).validate()
    assert m.schema_version == SCHEMA_VERSION
    assert m.producer["name"] == "tests.handmade"
    assert m.rows("users") == len(handmade.USERS)
    assert m.rows("events") == len(handmade.EVENTS)
    assert m.tables["events"]["files"] == 4  # one per month 2024-12 .. 2025-03
    assert m.date_range == {
        "first_event": "2024-12-30T09:00:00",
        "last_event": "2025-03-10T17:00:00",
    }
    assert DataDir(handmade_dir).months() == ["2024-12", "2025-01", "2025-02", "2025-03"]


def test_missing_directory_points_to_gen(tmp_path: Path) -> None:
    with pytest.raises(DataDirError, match="ducky gen"):
        DataDir(tmp_path / "nope").validate()


def test_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(DataDirError, match=r"no manifest\.json"):
        DataDir(tmp_path).validate()


def test_missing_table_is_named(tmp_path: Path) -> None:
    d = write_datadir(tmp_path / "d")
    (d / "products.parquet").unlink()
    with pytest.raises(
        DataDirError, match=r"table products is missing \(expected products\.parquet\)"
    ):
        DataDir(d).validate()


def test_wrong_column_type_is_named(tmp_path: Path) -> None:
    d = write_datadir(tmp_path / "d")
    bad = pa.table({"product_id": [1], "category": ["x"], "price": [1.5], "name": ["n"]})
    pq.write_table(bad, d / "products.parquet")
    with pytest.raises(
        DataDirError,
        match=r"products\.parquet: column 'price' has type double, expected decimal128\(12, 2\)",
    ):
        DataDir(d).validate()


def test_unsupported_schema_version(tmp_path: Path) -> None:
    d = write_datadir(tmp_path / "d")
    m = json.loads((d / "manifest.json").read_text())
    m["schema_version"] = 999
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(DataDirError, match="schema version 999"):
        DataDir(d).validate()


def test_failed_write_leaves_previous_directory_intact(tmp_path: Path) -> None:
    d = write_datadir(tmp_path / "d")
    before = sorted(p.relative_to(d) for p in d.rglob("*"))
    manifest = (d / "manifest.json").read_text()
    with pytest.raises(RuntimeError, match="boom"), DatasetWriter(d, producer="test") as w:
        w.write_table("users", pa.Table.from_pylist([], schema=arrow_schema("users")))
        raise RuntimeError("boom")
    assert sorted(p.relative_to(d) for p in d.rglob("*")) == before
    assert (d / "manifest.json").read_text() == manifest
    assert [p.name for p in tmp_path.iterdir()] == ["d"]  # no temp directory left behind


def test_rewrite_replaces_tables_but_keeps_state(tmp_path: Path) -> None:
    d = write_datadir(tmp_path / "d")
    (d / ".ducky").mkdir()
    (d / ".ducky" / "keep.txt").write_text("server state")
    write_datadir(d, events=handmade.EVENTS[:3])
    assert DataDir(d).validate().rows("events") == 3
    assert (d / ".ducky" / "keep.txt").read_text() == "server state"
    assert sorted(DataDir(d).months()) == ["2024-12"]


def test_writer_refuses_lossy_cast(tmp_path: Path) -> None:
    bad = pa.table({"product_id": [1], "category": ["x"], "price": [1.234], "name": ["n"]})
    with (
        pytest.raises(ValueError, match="without rounding"),
        DatasetWriter(tmp_path / "d", producer="t") as w,
    ):
        w.write_table("products", bad)
    assert not (tmp_path / "d").exists()


def test_writer_clusters_event_parts_and_keeps_every_row(tmp_path: Path) -> None:
    # Any producer (ingest too) gets the layout of ducky.datasets.layout: events in time order
    # with purchases last, no row lost or changed.
    import datetime as dt

    rows = [
        (3, "viewed", 7, dt.datetime(2024, 12, 3, 9)),
        (1, "purchased", 7, dt.datetime(2024, 12, 2, 9)),
        (2, "viewed", None, dt.datetime(2024, 12, 1, 9)),
        (1, "viewed", 5, dt.datetime(2024, 12, 4, 9)),
        (1, "viewed", 5, dt.datetime(2024, 12, 1, 8)),
    ]
    data = pa.table(
        {
            "user_id": [r[0] for r in rows],
            "event_type": [r[1] for r in rows],
            "product_id": [r[2] for r in rows],
            "timestamp": [r[3] for r in rows],
        }
    )
    with DatasetWriter(tmp_path / "d", producer="t") as w:
        out = w.write_partition("events", "2024-12", data)
        written = pq.read_table(out)
    got = [tuple(r.values()) for r in written.to_pylist()]
    assert got == sorted(rows, key=lambda r: (r[1] == "purchased", r[3]))


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_ddl_covers_every_column(dialect: str) -> None:
    for name, t in TABLES.items():
        ddl = create_table_sql(name, dialect)
        assert all(c.name in ddl for c in t.columns)
    assert "NUMERIC(12,2)" in create_table_sql("products", "postgres")
    assert "ARRAY<BIGINT>" in create_table_sql("search_logs", "spark")
