"""The local PostgreSQL server: start, reuse, stop without leftovers, and recovery from a
killed parent (server still running) and a killed postmaster (stale pid file)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from ducky.engines.postgres.server import LocalServer, local_server_for
from tests.cli_support import run_cli
from tests.fixtures.postgres import server_root, stop_and_check

pytestmark = [pytest.mark.postgres, pytest.mark.integration]


@pytest.fixture
def data_root() -> Iterator[Path]:
    """A data directory whose .ducky/pg holds a cluster; always stopped and removed."""
    root = server_root()
    try:
        yield root
    finally:
        stop_and_check(local_server_for(root / ".ducky"))
        shutil.rmtree(root, ignore_errors=True)


def _wait_gone(pid: int, timeout: float = 20) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        psutil.Process(pid).wait(timeout)


def test_start_reuse_stop_leaves_nothing(data_root: Path) -> None:
    server = LocalServer(data_root / ".ducky" / "pg")
    dsn = server.start()
    pid = server.postmaster_pid()
    assert pid is not None and server.leftover_processes()
    with psycopg.connect(dsn) as c:
        assert c.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert c.execute("SELECT current_database()").fetchone() == ("ducky",)
    port = server.status().port
    state = json.loads((server.state_dir / "state.json").read_text())
    assert state["port"] == port
    assert oct(os.stat(server.state_dir / "state.json").st_mode & 0o777) == "0o600"
    assert server.start() == dsn and server.postmaster_pid() == pid  # reused, not restarted
    assert server.stop() is True
    assert server.leftover_processes() == []
    assert not server.status().running and not (server.pgdata / "postmaster.pid").exists()
    assert server.stop() is False  # idempotent
    server.start()  # restarts on the persisted port with the same password
    assert server.status().port == port and server.dsn() == dsn
    stop_and_check(server)


def test_server_survives_killed_parent_and_cli_stops_it(data_root: Path) -> None:
    code = (
        "import sys, time\n"
        "from ducky.engines.postgres.server import LocalServer\n"
        "LocalServer(sys.argv[1]).start()\n"
        "print('started', flush=True)\n"
        "time.sleep(300)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code, str(data_root / ".ducky" / "pg")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "started"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
    status = run_cli("--data", str(data_root), "pg", "status", "--json")
    assert status.code == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["running"] is True and info["pid"]  # the orphaned server still runs
    stop = run_cli("--data", str(data_root), "pg", "stop", "--json")
    assert stop.code == 0, stop.stderr
    assert json.loads(stop.stdout)["stopped"] is True
    _wait_gone(info["pid"])
    assert local_server_for(data_root / ".ducky").leftover_processes() == []


def test_killed_postmaster_stale_pid_file_is_cleaned(data_root: Path) -> None:
    server = local_server_for(data_root / ".ducky")
    server.start()
    pid = server.postmaster_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    assert (server.pgdata / "postmaster.pid").exists()
    status = json.loads(run_cli("--data", str(data_root), "pg", "status", "--json").stdout)
    assert status["running"] is False and status["stale_pid_file"] is True
    stop = run_cli("--data", str(data_root), "pg", "stop")
    assert stop.code == 0, stop.stderr
    assert "stale" in stop.stdout
    assert not (server.pgdata / "postmaster.pid").exists()
    deadline = time.monotonic() + 10
    while server.leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.leftover_processes() == []  # the killed postmaster's children are gone too
    # And the cluster starts again after the crash.
    with psycopg.connect(server.start()) as c:
        assert c.execute("SELECT 1").fetchone() == (1,)
