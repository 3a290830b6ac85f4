"""Run the real `ducky` entry point (`ducky.cli.main.main`) inside the test process.

Same parsing, plugin loading, error-to-exit-code mapping and output as the console script, but
without a fresh interpreter importing scikit-learn, DuckDB and friends each time (seconds per
call on a busy 2-core machine). Tests that check process-level behaviour use run_cli instead.
"""

from __future__ import annotations

import contextlib
import io
import os

from tests.cli_support import Result


def run_inproc(*args: str, env: dict[str, str] | None = None) -> Result:
    from ducky.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as e:
                code = int(e.code or 0)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Result(code, out.getvalue(), err.getvalue())
