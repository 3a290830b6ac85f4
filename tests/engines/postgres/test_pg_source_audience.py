"""audience and serve on a `postgresql://` source, read in place: the same answers as on
the data directory holding the same hand-made rows, and the shop's database left exactly as found
(its tables, view, index and row counts, and no object outside what was there before)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.engines.postgres.test_pg_safety import snapshot
from tests.engines.postgres.test_pg_source import _fill

pytestmark = pytest.mark.postgres

SPEC = {
    "version": 1,
    "where": {"type": "event", "event": "purchased", "op": "gte", "count": 1},
}


@pytest.fixture
def shop(pg_fresh_dsn: Callable[[], str]) -> str:
    dsn = pg_fresh_dsn()
    _fill(dsn)
    return dsn


def _both(shop: str, handmade_dir: Path, *args: str) -> tuple[dict, dict]:
    r = run_cli("--data", shop, "--json", *args)
    assert r.code == 0, r.stderr
    d = run_cli("--data", str(handmade_dir), "--json", *args)
    assert d.code == 0, d.stderr
    return json.loads(r.stdout), json.loads(d.stdout)


def _same_audience(got: dict, want: dict) -> None:
    # The seed's users table has only (user_id, signup_date, country); the directory's rows
    # carry names too, so the users are compared on what both hold.
    assert got["total_count"] == want["total_count"] == 4
    assert got["user_ids"] == want["user_ids"] == [1, 2, 4, 5]
    assert got["as_of"] == want["as_of"]
    keys = ("user_id", "signup_date", "country")
    assert [{k: u[k] for k in keys} for u in got["users"]] == [
        {k: u[k] for k in keys} for u in want["users"]
    ]


def test_audience_equals_the_data_directory(shop: str, handmade_dir: Path, tmp_path: Path) -> None:
    before = snapshot(shop)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    got, want = _both(shop, handmade_dir, "audience", str(spec))
    _same_audience(got, want)
    # The output names the engine that ran and the source, without its password.
    assert (got["engine"], want["engine"]) == ("postgres", "duckdb")
    assert want["source"] == str(handmade_dir)
    password = shop.split(":")[2].split("@")[0]
    assert got["source"].startswith("postgresql://") and password not in got["source"]
    assert snapshot(shop) == before


def test_serve_request_equals_the_data_directory(shop: str, handmade_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from ducky.api import create_app
    from ducky.engines.postgres.source import PgSource

    before = snapshot(shop)
    answers = []
    for data in (PgSource(shop), handmade_dir):
        from ducky.datasets import DataDir

        src = data if isinstance(data, PgSource) else DataDir(data)
        with TestClient(create_app(src, "duckdb")) as client:
            r = client.post("/audiences/query", json=SPEC)
            assert r.status_code == 200, r.text
            answers.append(r.json())
    _same_audience(*answers)
    assert snapshot(shop) == before
