"""`ducky engines`: list installed engines and why one is unavailable."""

from __future__ import annotations

import click

from ducky.cli.context import get_settings


@click.command()
def engines() -> None:
    """List installed engines and whether each can run here."""
    from dataclasses import asdict

    from ducky.cli.output import dumps
    from ducky.engines import available_engines

    infos = available_engines()
    if get_settings().json:
        click.echo(dumps([asdict(i) for i in infos]))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title="engines (entry-point group ducky.engines)")
    for col in ("name", "status", "provided by", "notes"):
        t.add_column(col)
    for i in infos:
        status = "[green]available[/green]" if i.available else "[red]unavailable[/red]"
        t.add_row(i.name, status, f"{i.distribution} ({i.target})", i.reason or i.description)
    Console().print(t)
