"""`ducky gen` end to end (subprocess): summary, --describe, refusals, one-line errors,
and that a failed or interrupted run leaves the previous data directory exactly as it was."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.fixtures.generated import copy_of

BIG = ("--months", "12", "--events", "20000000", "--users", "50000")
SMALL = ("--months", "2", "--users", "400", "--events", "15000", "--products", "300")


def _snapshot(path: Path) -> dict[str, str]:
    return {
        str(f.relative_to(path)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(path.rglob("*"))
        if f.is_file()
    }


@pytest.fixture
def existing(small_generated_dir: Path, tmp_path: Path) -> Path:
    """A generated small data directory (a private copy of the session's, not a new
    generation per test) that the test may try to overwrite."""
    return copy_of(small_generated_dir, tmp_path / "data")


# generates a shop through the real CLI, then describes it
@pytest.mark.integration
def test_gen_prints_summary_and_json(tmp_path: Path) -> None:
    data = tmp_path / "d"
    r = run_cli("--json", "--data", str(data), "gen", *SMALL)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["rows"]["users"] == 400
    assert abs(doc["rows"]["events"] - 15_000) < 1_000
    assert set(doc["personas"]) == {
        "tech_enthusiast",
        "budget_conscious",
        "fashion_oriented",
        "fitness_focused",
        "home_kitchen",
        "beauty_care",
    }
    assert 0.2 < doc["funnel"]["purchase_per_cart"] < 0.5
    assert doc["events_per_user"]["p50"] <= doc["events_per_user"]["p90"]
    assert doc["searches"]["per_searching_user_min"] >= 5
    assert doc["date_range"]["first_event"] >= "2025-01-01"
    assert doc["date_range"]["last_event"] < "2025-03-01"
    assert doc["seconds"] > 0
    # People get tables.
    r = run_cli("--data", str(data), "gen", "--describe")
    assert r.code == 0, r.stderr
    assert "purchase/cart" in r.stdout and "budget_conscious" in r.stdout


def test_describe_matches_the_manifest(generated_dir: Path) -> None:
    r = run_cli("--json", "--data", str(generated_dir), "gen", "--describe")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    manifest = json.loads((generated_dir / "manifest.json").read_text())
    assert doc["rows"] == {k: v["rows"] for k, v in manifest["tables"].items()}
    assert sum(doc["funnel"]["events"].values()) == doc["rows"]["events"]
    assert sum(p["users"] for p in doc["personas"].values()) == 2_000
    searching = doc["searches"]["users_searching"] + doc["searches"]["users_never_searching"]
    assert searching == 2_000


# generates a shop through the real CLI over the old one
@pytest.mark.integration
def test_refuses_to_overwrite_without_force(existing: Path) -> None:
    before = _snapshot(existing)
    r = run_cli("--data", str(existing), "gen", *SMALL)
    assert r.code == 2
    assert r.stderr.strip().splitlines() == [
        f"error: {existing} already exists and is not empty: pass --force to replace it"
    ]
    assert _snapshot(existing) == before
    # With --force it is replaced (another seed, other data), keeping .ducky/ state.
    (existing / ".ducky").mkdir()
    (existing / ".ducky" / "keep").write_text("state")
    r = run_cli("--data", str(existing), "gen", *SMALL, "--seed", "2", "--force")
    assert r.code == 0, r.stderr
    assert _snapshot(existing) != before
    assert (existing / ".ducky" / "keep").read_text() == "state"


def test_never_replaces_a_directory_that_is_not_ducky_data(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("mine")
    r = run_cli("--data", str(tmp_path), "gen", *SMALL, "--force")
    assert r.code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "not a ducky data directory" in r.stderr
    assert (tmp_path / "precious.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "2025-02-30"), "error: --start: '2025-02-30' is not a date"),
        (("--start", "yesterday"), "error: --start: 'yesterday' is not a date"),
        (("--months", "0"), "error: --months must be at least 1, not 0"),
        (("--months", "twelve"), "error: --months must be a whole number, not 'twelve'"),
        (("--months", "500"), "error: --months must be a whole number from 1 to 120"),
        (("--events", "1e6x"), "error: --events must be a whole number"),
        (("--scale", "big"), "error: --scale must be a number, not 'big'"),
    ],
)
def test_bad_options_are_one_line_errors(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    r = run_cli("--data", str(tmp_path / "d"), "gen", *args)
    assert r.code == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not (tmp_path / "d").exists()


def test_describe_without_data_is_a_one_line_error(tmp_path: Path) -> None:
    r = run_cli("--data", str(tmp_path / "missing"), "gen", "--describe")
    assert r.code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "does not exist" in r.stderr


def test_failing_generation_leaves_previous_data_intact(existing: Path) -> None:
    before = _snapshot(existing)
    # Valid options that fail once generation has started (inside the atomic writer).
    r = run_cli("--data", str(existing), "gen", "--users", "50000", "--events", "1000", "--force")
    assert r.code == 2 and "too few" in r.stderr
    assert _snapshot(existing) == before
    assert sorted(p.name for p in existing.parent.iterdir()) == ["data"]  # no temp dir left


# interrupts a real `ducky gen` subprocess mid-write
@pytest.mark.integration
def test_interrupted_generation_leaves_previous_data_intact(existing: Path) -> None:
    before = _snapshot(existing)
    parent = existing.parent
    env = {k: v for k, v in os.environ.items() if k != "DUCKY_DATA"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ducky", "--data", str(existing), "gen", "--force", *BIG],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # Wait until the writer's temporary directory has month files in it, then press Ctrl-C.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        tmp = [p for p in parent.iterdir() if p.name.startswith(".data.tmp-")]
        if tmp and any(tmp[0].glob("events/month=*/*.parquet")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "generation finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] in ("aborted", "interrupted")
    assert _snapshot(existing) == before
    assert sorted(p.name for p in parent.iterdir()) == ["data"]
