"""Discovery through entry points (a test plugin and engine installed like a third party's)
and the promise that `ducky --help` imports no heavy driver."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli_support import run_cli

HEAVY = ["duckdb", "polars", "psycopg", "pyspark", "torch", "sklearn"]


def test_help_imports_no_heavy_module() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from ducky.cli.main import cli
        try:
            cli.main(["--help"], prog_name="ducky", standalone_mode=False)
        except SystemExit:
            pass
        print([m for m in {HEAVY!r} if m in sys.modules])
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "query" in out.stdout and "engines" in out.stdout


@pytest.fixture
def third_party(tmp_path: Path) -> Path:
    """A distribution installed on sys.path with one plugin, one broken plugin and one engine."""
    pkg = tmp_path / "acme_ducky"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """
            import click
            from ducky.plugins import hookimpl
            from ducky.engines.duckdb import DuckDBEngine

            @hookimpl
            def register_commands(cli):
                @cli.command("hello")
                def hello():
                    '''Say hello from a third-party plugin.'''
                    click.echo("hello from acme")

            class AcmeEngine(DuckDBEngine):
                name = "acme"
                requires = ("acme_driver_that_is_not_installed",)
                extra = "acme"
            """
        )
    )
    (pkg / "broken.py").write_text("raise ImportError('acme broken on purpose')\n")
    dist = tmp_path / "acme_ducky-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-ducky\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[ducky.plugins]\nacme = acme_ducky\nbroken = acme_ducky.broken\n\n"
        "[ducky.engines]\nacme = acme_ducky:AcmeEngine\n"
    )
    return tmp_path


def test_plugin_command_from_entry_point(third_party: Path) -> None:
    # conftest pins DUCKY_LOAD_PLUGINS to the built-in plugins; name the third-party ones here
    env = {"PYTHONPATH": str(third_party), "DUCKY_LOAD_PLUGINS": "segment,acme,broken"}
    r = run_cli("hello", env=env)
    assert r.code == 0, r.stderr
    assert r.stdout.strip() == "hello from acme"
    # the broken plugin warns but does not take the CLI down
    assert "warning: plugin 'broken' failed to load: acme broken on purpose" in r.stderr


def test_plugins_listing_and_selection(third_party: Path) -> None:
    r = run_cli(
        "--json", "plugins", env={"PYTHONPATH": str(third_party), "DUCKY_LOAD_PLUGINS": "acme"}
    )
    infos = {i["name"]: i for i in json.loads(r.stdout)}
    assert infos["acme"]["status"] == "loaded"
    assert infos["acme"]["distribution"] == "acme-ducky"
    assert infos["broken"]["status"] == "disabled"
    r = run_cli("hello", env={"PYTHONPATH": str(third_party), "DUCKY_LOAD_PLUGINS": ""})
    assert r.code == 2 and "No such command 'hello'" in r.stderr


def test_unavailable_engine_says_why(third_party: Path, handmade_dir: Path) -> None:
    r = run_cli("--json", "engines", env={"PYTHONPATH": str(third_party)})
    infos = {i["name"]: i for i in json.loads(r.stdout)}
    assert infos["acme"]["available"] is False
    assert infos["acme"]["reason"] == (
        "missing Python package(s) acme_driver_that_is_not_installed: pip install 'ducky[acme]'"
    )
    r = run_cli(
        "--data",
        str(handmade_dir),
        "query",
        "wau",
        "--engine",
        "acme",
        env={"PYTHONPATH": str(third_party)},
    )
    assert r.code == 2
    assert "error: engine 'acme' is not available: missing Python package(s)" in r.stderr
