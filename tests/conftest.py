from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.handmade import write_datadir

# Only the plugins this repository ships: a plugin installed in the developer's environment
# (ambient) must not add commands or hooks to the tests. Set before anything loads plugins, and
# inherited by every `ducky` subprocess; tests that need another list pass their own env.
BUILTIN_PLUGINS = "segment"
os.environ["DUCKY_LOAD_PLUGINS"] = BUILTIN_PLUGINS
# Nor may a ducky.toml above the checkout (a developer's project) set defaults; the tests of the
# project file itself unset this.
os.environ["DUCKY_CONFIG"] = ""

# Session fixtures for services and shared data, one module each (tests/fixtures/*.py).
# Each helper module starts what it needs from pip-installed packages, never assumes a service.
pytest_plugins: list[str] = [
    "tests.fixtures.spark",
    "tests.fixtures.postgres",
    "tests.fixtures.api_server",
    "tests.fixtures.generated",
    "tests.fixtures.es",
    "tests.fixtures.hf_server",
    "tests.fixtures.http_source",
]


@pytest.fixture(scope="session")
def handmade_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made dataset (tests/handmade.py) as a data directory, shared read-only."""
    return write_datadir(tmp_path_factory.mktemp("handmade") / "data")


@pytest.fixture(scope="session")
def orders_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hand-made purchases with orders, quantities, amounts, two currencies
    (tests/handmade_orders.py) over tests/handmade.py's users and products, shared read-only."""
    from tests import handmade_orders

    return write_datadir(tmp_path_factory.mktemp("orders") / "data", events=handmade_orders.EVENTS)


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never see a developer's own data directory or engine choice.
    monkeypatch.delenv("DUCKY_DATA", raising=False)
    monkeypatch.delenv("DUCKY_ENGINE", raising=False)
