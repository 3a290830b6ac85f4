"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def engine_option(default: str = "duckdb") -> Callable[[Any], Any]:
    return click.option(
        "--engine",
        "-e",
        default=default,
        show_default=True,
        envvar="DUCKY_ENGINE",
        help="Engine to run on (see `ducky engines`).",
    )


def format_option() -> Callable[[Any], Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default=None,
        help="Output format (default: table, or json with the global --json).",
    )
