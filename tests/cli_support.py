"""Running the real `ducky` console entry point in-process or as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: Any = None
) -> Result:
    """Run `python -m ducky` in a subprocess: real exit codes, real stderr, real imports.
    `stdin`: subprocess.DEVNULL for a command that must see no terminal (by default the test
    runner's own stdin is passed on, a terminal when run by hand)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DUCKY_DATA", None) if env is None or "DUCKY_DATA" not in env else None
    p = subprocess.run(
        [sys.executable, "-m", "ducky", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        stdin=stdin,
        timeout=600,
    )
    return Result(p.returncode, p.stdout, p.stderr)


def ingest_in_process(capsys: Any, out: Path, *args: str) -> Result:
    """`ducky --data OUT ingest ARGS --json` through the console entry point, in process
    (`capsys`: pytest's capture fixture; a subprocess per call costs seconds)."""
    from ducky.cli.main import main

    try:
        main(["--data", str(out), "ingest", *args, "--json"])
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    o, e = capsys.readouterr()
    return Result(code, o, e)
