"""Two `ducky load` at once on a stopped local server: both succeed (a lock around start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.fixtures.postgres import server_root


@pytest.mark.postgres
def test_two_loads_at_once_both_succeed() -> None:
    # Not tmp_path: every pytest session that starts re-chmods /tmp/pytest-of-<user> to 0700,
    # and as root the server runs as `embedded_postgres`, which then cannot reach a cluster
    # under it (initdb/pg_ctl fail in the middle of a run). See tests/fixtures/postgres.py.
    root = server_root()
    data = root / "data"
    env = os.environ | {"DUCKY_PG_DSN": "", "DUCKY_STOP_SERVER": ""}
    base = [sys.executable, "-m", "ducky", "--data", str(data)]
    gen = [*base, "gen", "--months", "1", "--users", "200", "--events", "3000"]
    assert subprocess.run(gen, capture_output=True, env=env).returncode == 0
    try:
        # the server is not even initialized: both race to initdb and start it
        procs = [
            subprocess.Popen(
                [*base, "load", "-e", "postgres"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(2)
        ]
        results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
        log = data / ".ducky" / "pg" / "postgres.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "no log"
        assert [rc for rc, _ in results] == [0, 0], (results, tail)
        r = subprocess.run([*base, "pg", "status"], capture_output=True, text=True, env=env)
        assert r.returncode == 0 and "running" in (r.stdout + r.stderr).lower(), r
    finally:
        subprocess.run([*base, "pg", "stop"], capture_output=True, env=env, timeout=120)
        shutil.rmtree(root, ignore_errors=True)
