"""kill -9 in every write window: afterwards the old or the new data is in place, and the
next run removes what the killed one left (`.NAME.tmp-*`, `.new-*`, `.old-*`).

The child process pauses at a named window (DUCKY_TEST_PAUSE_AT=window:flagfile, see
ducky.atomic) so the kill lands exactly there, not at a random instant.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Each test starts a real `ducky` subprocess and kills it mid-write (integration, not test-fast).
pytestmark = pytest.mark.integration

WINDOWS = ("writer-complete", "swap-ready", "swap-between", "swap-done")
GEN = ["gen", "--months", "1", "--users", "200", "--events", "3000", "--force"]


def ducky(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ducky", *args],
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
        timeout=300,
    )


def kill_at(window: str, tmp: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """Run ducky `args`, wait until it pauses at `window`, and kill -9 it there."""
    flag = tmp / f"paused-{window}"
    env = (env or dict(os.environ)) | {"DUCKY_TEST_PAUSE_AT": f"{window}:{flag}"}
    p = subprocess.Popen(
        [sys.executable, "-m", "ducky", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not flag.exists():
        if p.poll() is not None:
            raise AssertionError(f"exited {p.returncode} before {window}: {p.stderr.read()}")
        assert time.monotonic() < deadline, f"never reached {window}"
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL


def leftovers(data: Path) -> list[str]:
    return sorted(p.name for p in data.parent.glob(f".{data.name}.*"))


def seed_of(data: Path) -> int:
    m = json.loads((data / "manifest.json").read_text())
    return int(m["producer"]["parameters"]["seed"])


@pytest.mark.parametrize("window", WINDOWS)
def test_gen_killed_in_each_window(tmp_path: Path, window: str) -> None:
    data = tmp_path / "data"
    assert ducky("--data", str(data), *GEN, "--seed", "1").returncode == 0
    kill_at(window, tmp_path, "--data", str(data), *GEN, "--seed", "2")
    # a reader right after the crash finds complete data: the old (seed 1) or the new (2)
    r = ducky("--data", str(data), "--json", "query", "wau")
    assert r.returncode == 0, r.stderr
    # before the old copy moves the swap rolls back; after it, the swap is finished
    expected = {"writer-complete": 1, "swap-ready": 1, "swap-between": 2, "swap-done": 2}
    assert seed_of(data) == expected[window]
    # the next write cleans up everything the killed run left
    assert ducky("--data", str(data), *GEN, "--seed", "3").returncode == 0
    assert seed_of(data) == 3
    assert leftovers(data) == []


def test_ingest_killed_between_renames(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert ducky("--data", str(data), *GEN, "--seed", "1").returncode == 0
    before = json.loads((data / "manifest.json").read_text())
    src = tmp_path / "events.csv"
    src.write_text(
        "user_id,event_type,product_id,timestamp\n1,viewed,10,2025-01-02T10:00:00\n"
        "1,purchased,10,2025-01-02T11:00:00\n2,login,,2025-01-03T09:00:00\n"
    )
    kill_at("swap-between", tmp_path, "--data", str(data), "ingest", "--events", str(src))
    assert not data.exists()  # killed after the old copy left, before the new one arrived
    r = ducky("--data", str(data), "--json", "query", "wau")
    assert r.returncode == 0, r.stderr  # the reader finished the swap: the ingested data
    after = json.loads((data / "manifest.json").read_text())
    assert after["producer"]["name"] != before["producer"]["name"], after["producer"]
    assert after["tables"]["events"]["rows"] >= before["tables"]["events"]["rows"]
    assert leftovers(data) == []


def test_report_killed_before_rename(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert ducky("--data", str(data), *GEN, "--seed", "1").returncode == 0
    out = tmp_path / "report.html"
    out.write_text("previous report")
    kill_at("report-written", tmp_path, "--data", str(data), "report", "--out", str(out))
    assert out.read_text() == "previous report"  # untouched by the killed run
    assert len(leftovers(out)) == 1  # its temp file
    r = ducky("--data", str(data), "report", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "<html" in out.read_text().lower()
    assert leftovers(out) == []
