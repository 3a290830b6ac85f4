"""`ducky load -e postgres` (binary COPY) on string-id data (issue 15): search_logs whose
clicked product lists hold text ids (`["p01", "p02"]`) come back from PostgreSQL exactly,
element for element, including the characters array text syntax would have to escape."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.dataset as ds
import pytest

from ducky.ingest import run_ingest
from tests.cli_support import run_cli

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

SEARCHES = [
    ("abc123", "red shoes", ["p01", "p02"], "2025-04-01T12:30:00Z"),
    ("u001", "x", [], "2025-04-01 12:31:00"),
    # a comma, a quote, non-ASCII, the word NULL, braces and blanks inside ids
    ("u002", 'ünï "q"', ["p,3", 'p"4', "é€", "NULL", "{x}", " sp "], "2025-04-01 12:32:00"),
    ("u002", "again", ["p01", "p01"], "2025-04-02 08:00:00"),
]


def _parquet_rows(data: Path, table: str) -> list[tuple[Any, ...]]:
    rows = ds.dataset(data / table, format="parquet", partitioning="hive").to_table().to_pylist()
    cols = ("user_id", "search_query", "clicked_product_ids", "timestamp")
    return sorted((tuple(r[c] for c in cols) for r in rows), key=repr)


def _pg_rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, options="-c search_path=ducky") as c:
        types = c.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'ducky' AND table_name = 'search_logs' ORDER BY 1"
        ).fetchall()
        assert dict(types)["user_id"] == "text" and dict(types)["clicked_product_ids"] == "ARRAY"
        rows = c.execute(
            'SELECT user_id, search_query, clicked_product_ids, "timestamp" FROM search_logs'
        ).fetchall()
    return sorted((tuple(r) for r in rows), key=repr)


def _load(data: Path, dsn: str) -> dict[str, Any]:
    r = run_cli("--data", str(data), "--json", "load", "-e", "postgres", "--dsn", dsn)
    assert r.code == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    assert doc["method"] == "binary"
    return doc


def test_handmade_string_lists_round_trip(tmp_path: Path, pg_fresh_dsn: Callable[[], str]) -> None:
    logs = tmp_path / "logs.ndjson"
    logs.write_text(
        "".join(
            json.dumps(
                {"user_id": u, "search_query": q, "clicked_product_ids": ids, "timestamp": t}
            )
            + "\n"
            for u, q, ids, t in SEARCHES
        )
    )
    events = tmp_path / "events.ndjson"
    events.write_text(
        "".join(
            json.dumps({"user_id": u, "event_type": "login", "timestamp": "2025-04-01T12:00:00Z"})
            + "\n"
            for u in ("abc123", "u001", "u002")
        )
    )
    data = tmp_path / "data"
    run_ingest(data, {"events": str(events), "search_logs": str(logs)}, now=dt.datetime(2025, 4, 3))
    want = _parquet_rows(data, "search_logs")
    # the directory itself holds the source's lists unchanged
    assert sorted(r[2] for r in want) == sorted(ids for _, _, ids, _ in SEARCHES)
    dsn = pg_fresh_dsn()
    doc = _load(data, dsn)
    assert {t["table"]: t["rows"] for t in doc["tables"]}["search_logs"] == len(SEARCHES)
    assert _pg_rows(dsn) == want


def test_generated_string_ids_round_trip(tmp_path: Path, pg_fresh_dsn: Callable[[], str]) -> None:
    data = tmp_path / "gen"
    r = run_cli(
        "--data", str(data), "--json", "gen", "--months", "1", "--events", "20000", "--string-ids"
    )
    assert r.code == 0, r.stderr
    want = _parquet_rows(data, "search_logs")
    assert len(want) > 100 and any(len(r[2]) >= 2 for r in want)
    assert all(p.startswith("p") for r in want for p in r[2])
    dsn = pg_fresh_dsn()
    _load(data, dsn)
    assert _pg_rows(dsn) == want
