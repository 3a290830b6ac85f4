"""The search server ducky starts is announced, with how it stops, and it does stop.

The only place ducky itself starts the OpenSearch-compatible server (osmem-server) is `ducky
demo`, for its segmentation step (`ducky segment --push-es` only talks to a server at the URL it
is given). It lives as long as the demo: the line says so, and the server's process is gone when
the demo's context ends, which the second line reports.
"""

from __future__ import annotations

import re
import urllib.request

import psutil
import pytest

from ducky.cli.demo_cmd import _local_search_server


def test_demo_search_server_is_announced_and_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    with _local_search_server() as url:
        assert url is not None, "osmem-server is a dependency of the segment extra"
        started = capsys.readouterr().err
        lines = [ln for ln in started.splitlines() if ln.startswith("ducky: ")]
        assert len(lines) == 1, started
        m = re.fullmatch(
            r"ducky: started a local search server \(osmem-server, (\S+), pid (\d+)\); "
            r"it stops when the demo ends",
            lines[0],
        )
        assert m is not None and m.group(1) == url, lines[0]
        pid = int(m.group(2))
        assert url.startswith("http://127.0.0.1:")  # loopback only
        with urllib.request.urlopen(url, timeout=10) as r:  # it is the server that answers
            assert r.status == 200
        assert psutil.pid_exists(pid)
    stopped = capsys.readouterr().err
    assert f"ducky: stopped the local search server ({url})" in stopped
    gone = not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert gone, f"the search server (pid {pid}) still runs after the demo"
