"""`ducky audience` and `ducky serve` through the real console entry point.

`audience` runs in-process through `ducky.cli.main.main` (the entry point with its error
handling and exit codes; a subprocess per call costs seconds on a busy machine); `serve` runs
as a real subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.audience.test_audience_spec import SEED_REQUEST_EXAMPLE
from tests.cli_support import Result


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `ducky ARGS` in-process; `stdin` text is fed to the command."""
    import io

    from ducky.cli.main import main

    def run(*args: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def test_audience_file_json_and_csv(handmade_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SEED_REQUEST_EXAMPLE))
    r = run_cli("--data", str(handmade_dir), "audience", str(spec), "--format", "json")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["user_ids"], doc["total_count"], doc["legacy"]) == ([1, 4], 2, True)
    assert [u["location"] for u in doc["users"]] == ["California", "California"]
    r = run_cli("--data", str(handmade_dir), "audience", str(spec), "--format", "csv")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("user_id,signup_date") and [ln[:2] for ln in lines[1:]] == [
        "1,",
        "4,",
    ]


def test_audience_stdin_explain_and_count(handmade_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    spec = {"where": {"type": "attribute", "column": "age", "op": "between", "value": [25, 34]}}
    path = tmp_path / "age.json"
    path.write_text(json.dumps(spec))
    r = run_cli("--data", str(handmade_dir), "audience", str(path), "--explain", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["total_count"] == 3 and doc["rows"][0]["users"] == 3
    assert "BETWEEN 25 AND 34" in doc["sql"]
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "ducky",
            "--data",
            str(handmade_dir),
            "audience",
            "-",
            "--count-only",
            "--format",
            "json",
        ],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["total_count"] == 3
    r = run_cli("--data", str(handmade_dir), "audience", str(path))
    assert r.code == 0 and "3 users in the audience" in r.stdout


def test_audience_bad_input_one_line(handmade_dir: Path, tmp_path: Path, run_cli: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"where": {"type": "attribute", "column": "shoe", "op": "eq", "value": 1}}')
    r = run_cli("--data", str(handmade_dir), "audience", str(bad))
    assert r.code == 2
    assert r.stderr.strip().count("\n") == 0
    assert "where.column: unknown column 'shoe'" in r.stderr
    r = run_cli("--data", str(handmade_dir), "audience", str(tmp_path / "missing.json"))
    assert (r.code, "does not exist" in r.stderr) == (2, True)
    bad.write_text("{nope")
    r = run_cli("--data", str(handmade_dir), "audience", str(bad))
    assert (r.code, "malformed JSON" in r.stderr) == (2, True)


def test_schema_flag_matches_docs(run_cli: Any) -> None:
    r = run_cli("audience", "--schema")
    root = Path(__file__).resolve().parents[2]
    assert json.loads(r.stdout) == json.loads((root / "docs" / "audience.schema.json").read_text())


# starts `ducky serve` as a subprocess
@pytest.mark.integration
def test_serve_announces_the_port_it_got_answers_and_stops(handmade_dir: Path) -> None:
    env = {**os.environ}
    env.pop("DUCKY_DATA", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ducky", "--data", str(handmade_dir), "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until the announcement (or the exit)
        # --port 0 once announced ":0", not the port the system gave
        prefix = f"serving {handmade_dir} on duckdb: http://127.0.0.1:"
        assert line.startswith(prefix) and line.endswith("/docs\n"), line
        port = int(line[len(prefix) : -len("/docs\n")])
        assert port > 0
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "ducky serve did not start"
            time.sleep(0.2)
        r = httpx.post(f"{url}/audiences/query", json=SEED_REQUEST_EXAMPLE, timeout=30)
        assert r.json()["user_ids"] == [1, 4]

        # A second server on the same port: one error line and exit 2, no "serving" claim.
        from tests.cli_support import run_cli as run_process

        taken = run_process("--data", str(handmade_dir), "serve", "--port", str(port))
        assert taken.code == 2
        assert taken.stderr == (
            f"error: cannot listen on 127.0.0.1:{port}: already in use "
            "(pick another --port, or 0 for any free one)\n"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_on_a_host_that_is_not_an_address(run_cli: Any, handmade_dir: Path) -> None:
    r = run_cli("--data", str(handmade_dir), "serve", "--host", "256.1.1.1")
    assert r.code == 2
    assert r.stderr.startswith("error: --host '256.1.1.1': not an address this machine can bind")
    assert len(r.stderr.splitlines()) == 1 and "serving" not in r.stderr
