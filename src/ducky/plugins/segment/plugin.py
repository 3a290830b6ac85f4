"""The `ducky.plugins` entry point: registers `ducky segment`, `ducky es` and a report section.

Imports only click and ducky's light modules; the heavy work loads when a command runs.
"""

from __future__ import annotations

from typing import Any

import click

from ducky.plugins import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from ducky.plugins.segment.cli import es, segment

    cli.add_command(segment)
    cli.add_command(es)


@hookimpl
def report_sections(datadir: Any) -> list[dict[str, Any]]:
    from ducky.plugins.segment.report import section

    return [section(datadir)]
