"""`ducky pg`: manage the local PostgreSQL server kept under <data>/.ducky/pg."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ducky.cli.context import get_settings

if TYPE_CHECKING:
    from ducky.engines.postgres.server import LocalServer


def _server() -> LocalServer:
    from ducky.engines.postgres.server import local_server_for

    return local_server_for(get_settings().datadir.state_dir)


def _print_status(info: dict[str, Any], as_json: bool) -> None:
    from ducky.cli.output import dumps

    if as_json or get_settings().json:
        click.echo(dumps(info))
        return
    if info["running"]:
        click.echo(
            f"running: pid {info['pid']}, 127.0.0.1:{info['port']}, state in {info['state_dir']}"
        )
    elif info["initialized"]:
        click.echo(f"stopped: cluster in {info['state_dir']} (start with `ducky pg start`)")
    else:
        click.echo(f"not initialized: `ducky pg start` creates it in {info['state_dir']}")
    if info.get("stale_pid_file"):
        click.echo("note: a stale postmaster.pid was found (a killed server); start/stop clean it")


@click.group()
def pg() -> None:
    """Manage ducky's local PostgreSQL server (start, stop, status, dsn)."""


@pg.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def start(as_json: bool) -> None:
    """Start the local server (created on first use) unless it is already running."""
    from ducky.engines.postgres.announce import start_announced

    server = _server()
    start_announced(server, get_settings().data)  # stderr: started, and how to stop it
    _print_status(server.status().to_dict(), as_json)


@pg.command()
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def stop(as_json: bool) -> None:
    """Stop the local server (fast shutdown; kills it and cleans a stale pid file if needed)."""
    from ducky.cli.output import dumps

    server = _server()
    stale = server.status().stale_pid_file
    stopped = server.stop()
    left = server.leftover_processes()
    info = {"stopped": stopped, "stale_pid_file_removed": stale, "left_processes": left}
    if as_json or get_settings().json:
        click.echo(dumps(info))
    elif stopped:
        click.echo("stopped")
    elif stale:
        click.echo("not running (removed a stale postmaster.pid)")
    else:
        click.echo("not running")
    if left:
        from ducky.errors import EngineError

        raise EngineError(f"postgres processes still running: {', '.join(map(str, left))}")


@pg.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Say whether the local server runs (pid, port, state folder)."""
    _print_status(_server().status().to_dict(), as_json)


@pg.command()
@click.option("--database", default="ducky", show_default=True, help="Database name.")
def dsn(database: str) -> None:
    """Print the local server's DSN (starting the server if it is not running)."""
    from ducky.engines.postgres.announce import start_announced

    server = _server()
    start_announced(server, get_settings().data)  # stderr, so `$(ducky pg dsn)` stays the DSN
    click.echo(server.dsn(database))
