"""Dockerfile and compose.yaml: linted, and honest (they run only what the tests also run).

No Docker engine runs on this machine, so the images are not built here; instead every
command and variable they rely on is checked against the project itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.cli_support import run_cli

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(
        Path(__import__("sys").executable).with_name("hadolint")
    )
    r = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_dockerfile_installs_like_the_makefile() -> None:
    docker = (ROOT / "Dockerfile").read_text()
    make = (ROOT / "Makefile").read_text()
    # the same pinned CPU torch, installed before the extras that pull sentence-transformers
    assert "pip install torch==2.13.0" in docker and "install -q torch==2.13.0" in make
    assert docker.index("torch==2.13.0") < docker.index("[postgres,spark,segment,api]")
    extras = re.search(r"'\.\[([a-z,]+)\]'", docker)
    assert extras is not None
    pyproject = (ROOT / "pyproject.toml").read_text()
    for extra in extras.group(1).split(","):
        assert re.search(rf"^{extra} = \[", pyproject, re.M), extra
    assert re.search(r"^USER 10001$", docker, re.M)  # non-root
    assert 'CMD ["demo"]' in docker


def test_compose_wires_services_through_variables_ducky_reads() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "elasticsearch", "ducky", "ducky-api"} <= set(services)
    sources = "\n".join(p.read_text() for p in (ROOT / "src" / "ducky").rglob("*.py"))
    for name in ("ducky", "ducky-api"):
        for var in services[name]["environment"]:
            assert f'"{var}"' in sources, f"{var} is not read by ducky"
    # every command compose runs exists with the options it passes
    for name in ("ducky", "ducky-api"):
        cmd = services[name]["command"]
        r = run_cli(*cmd[:1], "--help")
        assert r.code == 0, r.stderr
        for opt in [c for c in cmd if c.startswith("--")]:
            assert opt in r.stdout, f"{cmd[0]} has no {opt}"
