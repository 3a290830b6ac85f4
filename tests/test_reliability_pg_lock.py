"""Two `ducky load` at once on a stopped local server: both succeed (a lock around start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.postgres
@pytest.mark.xfail(
    strict=False,
    reason="open: about 1 run in 4 both loads end 'local PostgreSQL did not accept "
    "connections' (was 'pg_ctl failed' / duplicate schema every time before the locks)",
)
def test_two_loads_at_once_both_succeed(tmp_path: Path) -> None:
    data = tmp_path / "data"
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
        assert [rc for rc, _ in results] == [0, 0], results
        r = subprocess.run([*base, "pg", "status"], capture_output=True, text=True, env=env)
        assert r.returncode == 0 and "running" in (r.stdout + r.stderr).lower(), r
    finally:
        subprocess.run([*base, "pg", "stop"], capture_output=True, env=env, timeout=120)
