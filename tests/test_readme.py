"""The README promises: its two quickstart commands exist in the Makefile, every `ducky ...`
command of its tour exists with the options it shows, and the example specs are current."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from ducky.audience.examples import EXAMPLES
from ducky.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.split("#")[0].strip()]
    assert commands == ["make demo", "make test"]
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install\n\t\$\(VENV\)/bin/ducky demo$", make, re.M)
    assert re.search(r"^test: install sysdeps\n\t\$\(PY\) -m pytest$", make, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _tour_commands() -> list[list[str]]:
    block = README.split("## Tour", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("ducky "):
            out.append(shlex.split(line)[1:])
    return out


def test_tour_commands_exist_with_their_options() -> None:
    tour = _tour_commands()
    assert len(tour) > 15
    runner = CliRunner()

    def run_cli(*args: str):  # in process: the same click tree, no interpreter start-up
        r = runner.invoke(cli, list(args))
        r.code = r.exit_code  # type: ignore[attr-defined]
        return r

    helps: dict[tuple[str, ...], str] = {}
    for args in tour:
        words = [a for a in args if not a.startswith("-")]
        if not words:
            continue
        # the command path is the leading words that are subcommands (e.g. `es load`, `pg status`)
        path: list[str] = []
        for w in words:
            probe = run_cli(*path, w, "--help") if tuple([*path, w]) not in helps else None
            if probe is not None and probe.code != 0:
                break
            if probe is not None:
                helps[tuple([*path, w])] = probe.stdout
            path.append(w)
        assert path, args
        text = helps[tuple(path)]
        for opt in [a.split("=")[0] for a in args if a.startswith("--")]:
            if opt not in ("--json",):  # global flag
                assert opt in text, (
                    f"`ducky {' '.join(args)}`: {opt} not in `{' '.join(path)} --help`"
                )


def test_example_specs_in_docs_are_current() -> None:
    for name, ex in EXAMPLES.items():
        path = ROOT / "docs" / "examples" / f"{name}.json"
        assert json.loads(path.read_text()) == ex["spec"], name


# Tour lines that need a server or a model (PostgreSQL, Spark, Elasticsearch, the embedding
# model, a long-running `serve`) or input files the reader brings (`ingest`): their own test
# modules cover them with the session fixtures. Every other line runs below, as written.
NEEDS_SERVICES = ("--engine postgres", "load ", "pg ", "spark", "--es-url", "segment", "serve",
                  "ingest", "duckdb-native,postgres")  # fmt: skip


def _tour_lines() -> list[str]:
    block = README.split("## Tour", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [ln.split("#")[0].strip() for ln in block.splitlines()]
    return [ln for ln in lines if ln.startswith("ducky ")]


@pytest.mark.slow
@pytest.mark.integration
def test_tour_runs_line_by_line_at_80_columns_and_piped(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    lines = _tour_lines()
    runnable = [ln for ln in lines if not any(s in ln + " " for s in NEEDS_SERVICES)]
    assert "ducky query cohort --event purchased --json" in runnable
    assert len(runnable) >= 10, runnable
    (tmp_path / "docs").symlink_to(ROOT / "docs")  # `ducky audience docs/examples/...`
    base = {k: v for k, v in os.environ.items() if not k.startswith("DUCKY_DATA")}
    modes = {
        "80 columns": {"TTY_COMPATIBLE": "1", "COLUMNS": "80", "NO_COLOR": "1"},
        "piped": {"TTY_COMPATIBLE": "0"},
    }
    for line in runnable:
        args = shlex.split(line)[1:]
        for mode, env in modes.items():
            if args[0] == "gen" and mode == "80 columns":
                continue  # generate once
            p = subprocess.run(
                [sys.executable, "-m", "ducky", *args],
                cwd=tmp_path,
                env={**base, **env},
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert p.returncode == 0, f"`{line}` ({mode}) exited {p.returncode}: {p.stderr}"
            out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", p.stdout)
            assert "…" not in out, f"`{line}` ({mode}) cut a value:\n{out}"
            machine = "--json" in args or "csv" in args  # JSON/CSV lines are data, not layout
            if mode == "80 columns" and not machine:
                too_wide = [ln for ln in out.splitlines() if len(ln) > 80]
                assert not too_wide, f"`{line}` at 80 columns:\n{too_wide}"
            if "--json" in args:
                json.loads(p.stdout)
