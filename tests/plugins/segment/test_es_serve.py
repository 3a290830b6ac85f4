"""`ducky es serve`: a local OpenSearch-compatible server for trying `--push-es`, announced
with how it stops, answering on loopback, and gone after Ctrl-C or `kill`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

import psutil
import pytest

# a real server process per test: with the other server tests, not in `make test-fast`
pytestmark = [pytest.mark.es, pytest.mark.integration]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_es_serve_announces_answers_and_stops(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ducky", "es", "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        m = re.match(
            r"ducky: started a local search server \(osmem-server, (http://127\.0\.0\.1:\d+), "
            r"pid (\d+)\); in memory, its indexes end with it; stop it with Ctrl-C$",
            first.rstrip("\n"),
        )
        assert m is not None, first
        url, pid = m.group(1), int(m.group(2))
        assert "ducky es load --es-url " + url in proc.stderr.readline()
        with urllib.request.urlopen(url, timeout=10) as r:
            assert json.load(r)["version"]["distribution"] == "opensearch"
        proc.send_signal(sig)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert f"ducky: stopped the local search server ({url})" in rest
    gone = not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert gone, f"the search server (pid {pid}) still runs"


def test_es_serve_port_in_use_is_one_line() -> None:
    import socket

    from tests.cli_support import run_cli

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_cli("es", "serve", "--port", str(port))
    assert r.code == 2
    assert r.stderr.strip() == f"error: --port {port}: in use on 127.0.0.1 (try --port 0)"
