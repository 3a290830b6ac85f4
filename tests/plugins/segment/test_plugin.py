"""The plugin is discovered through its `ducky.plugins` entry point like a third party's, adds
nothing heavy to `ducky --help`, and disappears with DUCKY_LOAD_PLUGINS=""."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points

from tests.cli_support import run_cli

HEAVY = [
    "torch",
    "sklearn",
    "elasticsearch",
    "opensearchpy",
    "sentence_transformers",
    "huggingface_hub",
    "scipy",
    "duckdb",
    "polars",
]


def test_entry_point_declared() -> None:
    eps = {ep.name: ep.value for ep in entry_points(group="ducky.plugins")}
    assert eps.get("segment") == "ducky.plugins.segment.plugin"


def test_plugin_loaded_and_commands_listed() -> None:
    r = run_cli("--json", "plugins")
    assert r.code == 0, r.stderr
    infos = {i["name"]: i for i in json.loads(r.stdout)}
    assert infos["segment"]["status"] == "loaded"
    assert infos["segment"]["distribution"] == "ducky"
    r = run_cli("--help")
    assert "segment" in r.stdout and "es " in r.stdout


def test_disabled_by_empty_plugin_list() -> None:
    r = run_cli("segment", "--help", env={"DUCKY_LOAD_PLUGINS": ""})
    assert r.code == 2 and "No such command 'segment'" in r.stderr
    r = run_cli("es", "load", "--help", env={"DUCKY_LOAD_PLUGINS": ""})
    assert r.code == 2 and "No such command 'es'" in r.stderr


def test_help_of_plugin_commands_imports_nothing_heavy() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from ducky.cli.main import cli
        for args in (["--help"], ["segment", "--help"], ["es", "load", "--help"]):
            try:
                cli.main(args, prog_name="ducky", standalone_mode=False)
            except SystemExit:
                pass
        print([m for m in {HEAVY!r} if m in sys.modules])
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "--push-es" in out.stdout and "--es-url" in out.stdout
