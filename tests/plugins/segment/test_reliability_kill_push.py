"""kill -9 of `ducky segment --push-es` in each of its write windows, and the search server
itself killed in the middle of a push: the live alias always points at a complete index, the
re-run succeeds and removes what the killed run left, and an index a user named
`<alias>-backup` is never touched.

The run stops at a named window (DUCKY_TEST_PAUSE_AT, see ducky.atomic); for the server kill
the test removes the pause file after killing the server, and the run goes on into the dead
server. osmem-server keeps its indexes in memory, so a restarted osmem process is empty:
"the alias survives a server restart" is shown with a loopback TCP proxy in front of the
server, killed -9 and restarted on the same port (to the client the same dropped and refused
connections as a crashed server), while the real kill of the server process shows the exit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.es import _free_port
from tests.test_reliability_crash import kill_at

pytestmark = [pytest.mark.es, pytest.mark.model, pytest.mark.integration]

USERS = 1500  # two bulk chunks of 1000: the "es-bulk" window has one in, one not sent
WINDOWS = {
    "es-created": "old",  # the new versioned index exists, empty
    "es-bulk": "old",  # first chunk written, the rest not
    "es-alias-switched": "new",  # alias moved to the complete new index, old not deleted
}

PROXY = r"""
import socket, sys, threading
listen, target = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen))
ls.listen(64)
print("ready", flush=True)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    u = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""


@pytest.fixture(scope="module")
def seg_data(tmp_path_factory: pytest.TempPathFactory, local_model: Any) -> tuple[Path, Any]:
    """Synthetic search logs of USERS users, segmented once in process: the embedding cache
    then holds every query, so the CLI runs below never load the model. Returns the data
    directory and that run's result (the "previous complete push" of every test)."""
    from ducky.datasets import DataDir
    from ducky.plugins.segment import pipeline
    from ducky.plugins.segment.embed.local import LocalEmbedder
    from ducky.plugins.segment.store.parquet import read_search_logs
    from tests.plugins.segment.synth import build

    d = DataDir(build(tmp_path_factory.mktemp("pushkill") / "data", users=USERS))
    result = pipeline.segment(read_search_logs(d), d, LocalEmbedder(), k=6, seed=42)
    return d.path, result


def _push_args(data: Path, url: str, alias: str) -> list[str]:
    return [
        "--json", "--data", str(data), "segment", "--source", "parquet", "--embedder", "local",
        "--k", "6", "--seed", "7", "--push-es", "--es-url", url, "--segments-index", alias,
    ]  # fmt: skip


def _ducky(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ducky", *args], capture_output=True, text=True, timeout=300
    )


def _baseline(url: str, alias: str, result: Any) -> tuple[Any, str]:
    """A complete earlier push (seed 42) live behind `alias`, plus a user's own index."""
    from ducky.plugins.segment import outputs
    from ducky.plugins.segment.store import open_store

    store = open_store(url, "opensearch")
    live = outputs.push_segments(store, result, alias)["index"]
    store.client.index(index=f"{alias}-backup", id="1", body={"note": "a user's own"})
    store.refresh(f"{alias}-backup")
    return store, live


def _indexes(store: Any, alias: str) -> list[str]:
    return sorted(store.client.indices.get(index=f"{alias}-*").keys())


def _check_rerun(store: Any, url: str, data: Path, alias: str, old: str) -> str:
    """The same command again succeeds, is live and complete, and leaves only its own index
    and the user's."""
    r = _ducky(*_push_args(data, url, alias))
    assert r.returncode == 0, r.stderr
    push = json.loads(r.stdout)["push"]
    new = push["index"]
    assert new != old and push["documents"] == USERS
    assert store.alias_targets(alias) == [new] and store.count(alias) == USERS
    assert _indexes(store, alias) == sorted([new, f"{alias}-backup"])
    assert store.count(f"{alias}-backup") == 1
    return str(new)


@pytest.mark.parametrize("window", WINDOWS)
def test_push_killed_in_each_window(
    window: str, tmp_path: Path, es_url: str, seg_data: tuple[Path, Any]
) -> None:
    data, result = seg_data
    alias = f"kill_{window.replace('-', '_')}"
    store, old = _baseline(es_url, alias, result)
    try:
        kill_at(window, tmp_path, *_push_args(data, es_url, alias))
        live = store.alias_targets(alias)
        assert len(live) == 1 and store.count(alias) == USERS  # live and complete
        assert (live == [old]) == (WINDOWS[window] == "old"), live
        left = [i for i in _indexes(store, alias) if i not in (old, f"{alias}-backup")]
        assert len(left) == 1  # what the killed run wrote: the new index
        store.refresh(left[0])
        written = {"es-created": 0, "es-bulk": 1000, "es-alias-switched": USERS}[window]
        assert store.count(left[0]) == written
        new = _check_rerun(store, es_url, data, alias, old)
        assert new == left[0]  # same inputs, same run id: the re-run finished that index
    finally:
        store.close()


def _kill_mid_bulk(tmp_path: Path, args: list[str], kill_server: Any) -> subprocess.Popen[str]:
    """Start the push, let it write its first chunk, kill the server, let the push go on."""
    flag = tmp_path / "paused-es-bulk"
    env = dict(os.environ) | {"DUCKY_TEST_PAUSE_AT": f"es-bulk:{flag}"}
    p = subprocess.Popen(
        [sys.executable, "-m", "ducky", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "never reached es-bulk"
        time.sleep(0.05)
    kill_server()
    flag.unlink()  # the push resumes against a dead server
    p.wait(timeout=120)
    return p


def _one_line_failure(p: subprocess.Popen[str], where: str) -> str:
    err = p.stderr.read() if p.stderr else ""
    assert p.returncode not in (0, 70), (p.returncode, err)  # 70: "internal error"
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert err.startswith("error: ") and where in err, err
    return err


def _start_proxy(port: int, target: int) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [sys.executable, "-c", PROXY, str(port), str(target)], stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def _stop(p: Any) -> None:
    if p.poll() is None:
        p.kill()
        p.wait()


@pytest.fixture
def osmem() -> Iterator[Any]:
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False, addr=f"127.0.0.1:{_free_port()}")
    yield server
    _stop(server.process)


def test_server_process_killed_mid_push(
    tmp_path: Path, osmem: Any, seg_data: tuple[Path, Any]
) -> None:
    from osmem_server import OsmemServer

    data, result = seg_data
    store, _ = _baseline(osmem.url, "gone", result)
    store.close()

    def kill_server() -> None:
        osmem.process.send_signal(signal.SIGKILL)
        osmem.process.wait()

    p = _kill_mid_bulk(tmp_path, _push_args(data, osmem.url, "gone"), kill_server)
    err = _one_line_failure(p, osmem.url.split("//")[1])
    assert p.returncode == 3 and "cannot reach" in err and "alias gone unchanged" in err, err
    # a server restarted on the same port (in memory: empty) takes the re-run
    again = OsmemServer.start(japanese=False, addr=osmem.url.split("//")[1])
    try:
        r = _ducky(*_push_args(data, again.url, "gone"))
        assert r.returncode == 0, r.stderr
        from ducky.plugins.segment.store import open_store

        s2 = open_store(again.url, "opensearch")
        assert s2.alias_targets("gone") == [json.loads(r.stdout)["push"]["index"]]
        assert s2.count("gone") == USERS
        s2.close()
    finally:
        _stop(again.process)


def test_server_killed_and_restarted_keeps_the_alias(
    tmp_path: Path, osmem: Any, seg_data: tuple[Path, Any]
) -> None:
    data, result = seg_data
    target = int(osmem.url.rsplit(":", 1)[1])
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proxy = _start_proxy(port, target)
    store, old = _baseline(url, "crash", result)
    try:
        p = _kill_mid_bulk(tmp_path, _push_args(data, url, "crash"), lambda: _stop(proxy))
        _one_line_failure(p, f"127.0.0.1:{port}")
        proxy = _start_proxy(port, target)  # "restarted", its indexes kept
        assert store.alias_targets("crash") == [old] and store.count("crash") == USERS
        _check_rerun(store, url, data, "crash", old)
    finally:
        store.close()
        _stop(proxy)
