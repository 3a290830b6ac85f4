"""kill -9 of `ducky load -e postgres` in each of its write windows (DUCKY_TEST_PAUSE_AT, see
ducky.atomic): afterwards the previous load is intact (or, once committed, the new one is
complete), the re-run succeeds, and the objects a user made beside ducky's are untouched.

The load is one transaction, so the server rolls it back when the killed client's socket
closes; these tests show that this holds in every window, not only in the middle of a COPY.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_reliability_crash import kill_at

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

GEN = ["gen", "--months", "1", "--events", "3000", "--force"]
# window -> which load the database holds right after the kill
WINDOWS = {
    "pg-copy": "old",  # first table's COPY in progress
    "pg-swapped": "old",  # old table dropped, staging renamed + primary key built, uncommitted
    "pg-before-commit": "old",  # all tables swapped, fingerprint and rollups written
    "pg-committed": "new",  # after COMMIT, before the command returns
}
USER_SQL = [
    "CREATE TABLE public.user_notes (id int PRIMARY KEY, note text)",
    "INSERT INTO public.user_notes VALUES (1, 'mine'), (2, 'also mine')",
    "CREATE TABLE ducky.user_notes (id int, note text)",  # in ducky's schema, not ducky's
    "INSERT INTO ducky.user_notes VALUES (3, 'keep me')",
    "CREATE VIEW public.user_view AS SELECT id FROM public.user_notes",
]


def _ducky(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ducky", *args], capture_output=True, text=True, env=env, timeout=300
    )


def _state(dsn: str) -> dict[str, Any]:
    """What a reader sees: the stored fingerprint, the rows per ducky table, the user's objects,
    any staging table left, and how many other sessions are still connected."""
    import psycopg

    from ducky.engines.postgres.loader import stored_fingerprint

    with psycopg.connect(dsn, autocommit=True) as c:
        tables = [
            r[0]
            for r in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'ducky' ORDER BY 1"
            ).fetchall()
        ]
        rows = {
            t: c.execute(f'SELECT count(*) FROM ducky."{t}"').fetchone()[0]  # type: ignore[index]
            for t in tables
            if t in ("users", "products", "events")
        }
        user = (
            c.execute("SELECT * FROM public.user_notes ORDER BY id").fetchall(),
            c.execute("SELECT * FROM ducky.user_notes").fetchall(),
            c.execute("SELECT * FROM public.user_view ORDER BY id").fetchall(),
        )
        others = c.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchone()[0]  # type: ignore[index]
    return {
        "fingerprint": stored_fingerprint(dsn),
        "rows": rows,
        "staging": [t for t in tables if t.startswith("ducky_staging_")],
        "user": user,
        "other_sessions": others,
    }


def _settled(dsn: str) -> dict[str, Any]:
    """The state once the killed client's server session is gone (the server notices the
    closed socket and rolls back within moments)."""
    deadline = time.monotonic() + 20
    while True:
        s = _state(dsn)
        if s["other_sessions"] == 0 or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pgkill")
    out = []
    for seed, users in (("1", "200"), ("2", "260")):  # the new load differs in every table
        d = root / f"data{seed}"
        r = _ducky(dict(os.environ), "--data", str(d), *GEN, "--users", users, "--seed", seed)
        assert r.returncode == 0, r.stderr
        out.append(d)
    return out[0], out[1]


@pytest.mark.parametrize("window", WINDOWS)
def test_load_killed_in_each_window(
    window: str,
    tmp_path: Path,
    two_datasets: tuple[Path, Path],
    pg_fresh_dsn: Callable[[], str],
) -> None:
    import psycopg

    old_dir, new_dir = two_datasets
    dsn = pg_fresh_dsn()
    env = dict(os.environ) | {"DUCKY_PG_DSN": dsn, "DUCKY_PG_SCHEMA": ""}
    load = ["load", "-e", "postgres", "--no-progress", "--json"]
    r = _ducky(env, "--data", str(old_dir), *load)
    assert r.returncode == 0, r.stderr
    old_rows = {t["table"]: t["rows"] for t in json.loads(r.stdout)["tables"]}
    with psycopg.connect(dsn, autocommit=True) as c:
        for stmt in USER_SQL:
            c.execute(stmt)
    before = _state(dsn)
    assert before["staging"] == [] and before["fingerprint"]

    kill_at(window, tmp_path, "--data", str(new_dir), *load, env=env)
    after = _settled(dsn)
    assert after["other_sessions"] == 0, "the killed load's session never ended"
    assert after["staging"] == []
    assert after["user"] == before["user"]  # the user's objects: untouched
    if WINDOWS[window] == "old":
        assert after["fingerprint"] == before["fingerprint"]
        assert after["rows"] == before["rows"] == {t: old_rows[t] for t in before["rows"]}
    else:
        assert after["fingerprint"] != before["fingerprint"]

    r = _ducky(env, "--data", str(new_dir), *load)  # the re-run: no lock or leftover in its way
    assert r.returncode == 0, r.stderr
    new = json.loads(r.stdout)
    final = _state(dsn)
    assert final["fingerprint"] == new["fingerprint"] != before["fingerprint"]
    assert final["rows"] == {
        t["table"]: t["rows"] for t in new["tables"] if t["table"] in final["rows"]
    }
    assert final["rows"]["users"] == 260 and before["rows"]["users"] == 200
    assert final["staging"] == [] and final["user"] == before["user"]
    if WINDOWS[window] == "new":
        assert after["fingerprint"] == final["fingerprint"]  # the killed run had finished it
