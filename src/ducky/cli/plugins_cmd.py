"""`ducky plugins`: list feature plugins and their load status."""

from __future__ import annotations

import click

from ducky.cli.context import get_settings


@click.command()
def plugins() -> None:
    """List feature plugins (entry-point group ducky.plugins) and their status."""
    from dataclasses import asdict

    from ducky.cli.output import dumps
    from ducky.plugins import plugin_infos

    infos = plugin_infos()
    if get_settings().json:
        click.echo(dumps([asdict(i) for i in infos]))
        return
    if not infos:
        click.echo("no plugins installed")
        return
    for i in infos:
        extra = f" ({i.reason})" if i.reason else ""
        click.echo(f"{i.name}: {i.status}{extra} [{i.distribution}: {i.target}]")
