"""Engine limits: option validation, DuckDB memory_limit and per-query timeout, queries that do
not wait for each other, and the API's query slots (503 with one line)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from ducky.audience.service import SLOT_WAIT, AudienceService, ServerBusy
from ducky.datasets import DataDir
from ducky.engines import open_engine
from ducky.errors import QueryTimeout, UserError

# ~10 s of CPU on one core: long enough to still be running while the checks below happen
SLOW_SQL = "SELECT sum(hash(i)) FROM range(3000000000) t(i)"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("threads=abc", "duckdb option threads must be a whole number of at least 1, not 'abc'"),
        ("threads=0", "duckdb option threads must be a whole number of at least 1, not '0'"),
        ("memory_limit=lots", "duckdb option memory_limit must be a size such as 4GB or 512MiB"),
        ("timeout=-1", "duckdb option timeout must be seconds (0 = none), not '-1'"),
        ("mode=fast", "duckdb mode must be one of parquet, native, not 'fast'"),
        ("bogus=1", "unknown duckdb option 'bogus'"),
    ],
)
def test_bad_engine_option_is_one_line(handmade_dir: Path, option: str, message: str) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "ducky", "--data", str(handmade_dir), "query", "wau", "-o", option],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: " + message)
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


def test_postgres_options_validated(handmade_dir: Path) -> None:
    with pytest.raises(UserError, match="statement_timeout must be whole milliseconds"):
        open_engine("postgres", DataDir(handmade_dir), statement_timeout="1s")
    with pytest.raises(UserError, match="postgres option timeout must be seconds"):
        open_engine("postgres", DataDir(handmade_dir), timeout="soon")
    eng = open_engine("postgres", DataDir(handmade_dir), timeout="2.5")
    assert eng.statement_timeout == 2500  # type: ignore[attr-defined]


def test_memory_limit_and_timeout_apply(
    handmade_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUCKY_DUCKDB_MEMORY_LIMIT", "256MB")
    with open_engine("duckdb", DataDir(handmade_dir), timeout="0.5") as eng:
        eng.load()
        limit = eng.run("SELECT current_setting('memory_limit')").column(0)[0].as_py()
        assert limit in ("256.0 MB", "244.1 MiB"), limit
        t0 = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"query stopped after the 0.5 s timeout"):
            eng.run(SLOW_SQL)
        assert time.monotonic() - t0 < 5
        # the connection is still usable after the interrupt
        assert eng.run("SELECT count(*) FROM users").column(0)[0].as_py() > 0


# waits on a 4 s query timeout by design
@pytest.mark.slow
def test_queries_do_not_wait_for_each_other(handmade_dir: Path) -> None:
    # the slow query times itself out after 4 s, so the test ends on its own
    with open_engine("duckdb", DataDir(handmade_dir), timeout="4", threads="1") as eng:
        eng.load()
        svc = AudienceService(eng, slots=2)
        errors: list[BaseException] = []

        def slow() -> None:
            try:
                svc._run(SLOW_SQL)
            except QueryTimeout as e:
                errors.append(e)

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)  # the slow query is running
        t0 = time.monotonic()
        n = svc._run("SELECT count(*) FROM users").column(0)[0].as_py()
        fast = time.monotonic() - t0
        assert n > 0
        assert t.is_alive(), "the slow query should still be running"
        assert fast < 1.0, f"a small query waited {fast:.2f} s behind a slow one"
        # every slot busy: the next query is refused after SLOT_WAIT, not queued forever
        svc._slots.acquire()
        t0 = time.monotonic()
        with pytest.raises(ServerBusy, match="server busy: all 2 query slots are in use"):
            svc._run("SELECT 1")
        assert SLOT_WAIT - 0.1 < time.monotonic() - t0 < SLOT_WAIT + 2
        svc._slots.release()
        t.join(timeout=30)
        assert len(errors) == 1  # it ran until its own timeout: nothing else stopped it


# starts the HTTP API server
@pytest.mark.integration
def test_api_busy_is_503_one_line(handmade_dir: Path) -> None:
    from ducky.api import create_app
    from tests.fixtures.api_server import _serve

    app = create_app(handmade_dir, "duckdb")
    server, thread, url = _serve(app)
    svc: AudienceService = app.state.service
    try:
        for _ in range(svc.slots):  # as if every slot ran a long query
            svc._slots.acquire()
        r = httpx.post(url + "/audiences/query", json={"count_only": True}, timeout=30)
        assert r.status_code == 503
        assert r.json()["error"] == (
            f"server busy: all {svc.slots} query slots are in use, retry shortly"
        )
        for _ in range(svc.slots):
            svc._slots.release()
        r = httpx.post(url + "/audiences/query", json={"count_only": True}, timeout=30)
        assert r.status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_out_of_memory_is_a_limit_not_a_fault(handmade_dir: Path) -> None:
    """DuckDB out of memory under the configured limit: QueryOutOfMemory (one line naming the
    setting), 503 from the API like a timeout, and one line with exit 1 from the CLI."""
    from ducky.api import create_app
    from ducky.errors import QueryOutOfMemory
    from tests.fixtures.api_server import _serve

    with open_engine("duckdb", DataDir(handmade_dir), memory_limit="16MB") as eng:
        eng.load()
        # a list aggregate cannot spill: 20M integers need 160 MB
        with pytest.raises(QueryOutOfMemory, match=r"more than the memory_limit 16MB allows"):
            eng.run("SELECT length(list(i)) FROM range(20000000) t(i)")
        assert eng.run("SELECT count(*) FROM users").column(0)[0].as_py() > 0

    app = create_app(handmade_dir, "duckdb")
    server, thread, url = _serve(app)
    try:
        # the limit lowered under the running server: every query now needs more than it
        app.state.service.engine.con.execute("SET memory_limit = '64KB'")
        r = httpx.post(url + "/audiences/query", json={"count_only": True}, timeout=30)
        assert r.status_code == 503, r.text
        assert r.json()["error"].startswith("duckdb: the query needs more than the memory")
        assert "\n" not in r.json()["error"]
    finally:
        server.should_exit = True
        thread.join(timeout=30)

    cmd = [sys.executable, "-m", "ducky", "--data", str(handmade_dir), "query", "wau"]
    p = subprocess.run(
        [*cmd, "-o", "memory_limit=1KB"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 1, p.stderr
    assert p.stderr.startswith("error: out of memory (-o memory_limit=")
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
