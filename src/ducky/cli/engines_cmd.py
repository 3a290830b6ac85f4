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
    from ducky.tables import Column, Grid, print_grid

    grid = Grid(
        [
            Column("name", key=True),
            Column("status"),
            Column("provided by"),
            Column("notes", wrap=True),
        ],
        title="engines (entry-point group ducky.engines)",
    )
    for i in infos:
        status = ("available", "green") if i.available else ("unavailable", "red")
        grid.add_row(i.name, status, f"{i.distribution} ({i.target})", i.reason or i.description)
    print_grid(grid)
