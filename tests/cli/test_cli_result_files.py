"""Result files (bench JSON, quarantine Parquet) are written atomically with a normal mode."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ducky.atomic import default_mode
from ducky.bench.results import write_json
from ducky.ingest.quarantine import write_quarantine_file


def test_bench_json_replaces_whole_with_plain_mode(tmp_path: Path) -> None:
    out = tmp_path / "r" / "bench.json"
    write_json(out, {"a": 1})
    write_json(out, {"a": 2})
    assert json.loads(out.read_text()) == {"a": 2}
    # mkstemp's 0600 would hide results from the people the user shares them with.
    assert out.stat().st_mode & 0o777 == default_mode()
    assert [p.name for p in out.parent.iterdir()] == ["bench.json"]  # no temp file left


def test_quarantine_file_is_whole(tmp_path: Path) -> None:
    out = tmp_path / "q" / "events" / "part.parquet"
    write_quarantine_file(out, pa.table({"x": [1, 2, 3]}))
    assert pq.read_table(out).column("x").to_pylist() == [1, 2, 3]
    assert sorted(os.listdir(out.parent)) == ["part.parquet"]
