"""Spark's JVM start-up noise stays off the CLI's stderr unless --debug (issue 18)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ducky.engines.spark.runtime import jvm_log_path, quiet_jvm_stderr

NOISE = "WARNING: Using incubator modules: jdk.incubator.vector"


def _child_writes_noise() -> None:
    # A child process inherits descriptor 2 exactly as the JVM pyspark launches does.
    subprocess.run([sys.executable, "-c", f"import sys; sys.stderr.write({NOISE!r} + '\\n')"])


def test_child_stderr_goes_to_the_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DUCKY_DEBUG", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with quiet_jvm_stderr():
        _child_writes_noise()
        print("starting Spark", file=sys.stderr)  # Python's own status lines still show
    print("after", file=sys.stderr)
    err = capfd.readouterr().err
    assert NOISE not in err
    assert "starting Spark" in err and "after" in err
    assert NOISE in jvm_log_path().read_text()


def test_debug_keeps_the_noise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUCKY_DEBUG", "1")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with quiet_jvm_stderr():
        _child_writes_noise()
    assert NOISE in capfd.readouterr().err
