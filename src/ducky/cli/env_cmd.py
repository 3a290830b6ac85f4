"""`ducky env`: every DUCKY_* variable, its value here (secrets masked) and the ducky.toml used."""

from __future__ import annotations

import click

from ducky.cli.context import get_settings


@click.command()
def env() -> None:
    """Show every DUCKY_* environment variable and the project file (ducky.toml) in effect.

    Precedence for every option: flag > environment variable > ducky.toml > default.
    """
    from ducky.config import environment, find_config, load_config

    path = find_config()
    settings = load_config(path) if path else {}
    rows = environment()
    if get_settings().json:
        from ducky.cli.output import dumps

        doc = {
            "variables": [{"name": n, "value": v, "description": d} for n, v, d in rows],
            "config_file": str(path) if path else None,
            "config": settings,
        }
        click.echo(dumps(doc))
        return
    from ducky.tables import Column, Grid, print_grid

    grid = Grid(
        [Column("variable", key=True), Column("value", wrap=True), Column("meaning", wrap=True)],
        title="ducky environment (flag > environment > ducky.toml > default)",
        notes=[f"project file: {path}" if path else "project file: none (no ducky.toml found)"]
        + [f"  {k} = {v}" for k, v in settings.items()],
    )
    for name, value, description in rows:
        grid.add_row(name, "(unset)" if value is None else value, description)
    print_grid(grid)
