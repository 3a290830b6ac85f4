"""`ducky spark connect-server start|stop|status|url`: a local Spark Connect server.

The server is kept under `<data>/.ducky/spark-connect` (pid, port, log) and outlives the
command, like `ducky pg start`; point the spark engine at it with `-o master=$(ducky spark
connect-server url)`. Until the root CLI lists this group, run it as
`python -m ducky.cli.spark_cmd [--data DIR] [--json] spark connect-server ...`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ducky.cli.context import get_settings

if TYPE_CHECKING:
    from ducky.engines.spark.connect import ConnectServer


def _server() -> ConnectServer:
    from ducky.engines.spark.connect import connect_server_for

    return connect_server_for(get_settings().datadir.state_dir)


def _emit(info: dict[str, Any], text: str, as_json: bool) -> None:
    from ducky.cli.output import dumps

    click.echo(dumps(info) if as_json or get_settings().json else text)


def _status_text(info: dict[str, Any]) -> str:
    if info["running"]:
        return f"running: pid {info['pid']}, {info['url']} ({info['master']}), log {info['log']}"
    text = f"not running (state in {info['state_dir']})"
    if info["stale"]:
        text += "; cleared a stale pid (the server had died)"
    return text


def _parse_conf(items: tuple[str, ...]) -> dict[str, str]:
    from ducky.errors import UserError

    conf = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--conf {item!r} must look like spark.key=value")
        conf[key.strip()] = value.strip()
    return conf


@click.group()
def spark() -> None:
    """Spark helpers: a local Spark Connect server for `--engine spark -o master=sc://...`."""


@spark.group("connect-server")
def connect_server() -> None:
    """Start, stop or inspect the local Spark Connect server (loopback, from pyspark's jars)."""


@connect_server.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default: free).")
@click.option("--master", default="local[*]", show_default=True, help="Where the server runs.")
@click.option("--driver-memory", help="The server JVM's heap, e.g. 2g (default 2g locally).")
@click.option("--conf", "conf", multiple=True, metavar="KEY=VALUE", help="Any Spark setting.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def start(
    port: int | None, master: str, driver_memory: str | None, conf: tuple[str, ...], as_json: bool
) -> None:
    """Start the server unless it runs already; waits until it accepts connections."""
    from rich.console import Console

    server = _server()
    settings = _parse_conf(conf)
    if server.url() is None and not (as_json or get_settings().json):
        with Console(stderr=True).status("starting the Spark Connect server (a JVM)..."):
            server.start(port, master, settings, driver_memory)
    else:
        server.start(port, master, settings, driver_memory)
    info = server.status().to_dict()
    _emit(info, _status_text(info), as_json)


@connect_server.command()
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def stop(as_json: bool) -> None:
    """Stop the server (SIGTERM, then SIGKILL); clears a stale pid left by a dead one."""
    server = _server()
    stale = server.status().stale
    stopped = server.stop()
    text = "stopped" if stopped else "not running" + (" (cleared a stale pid)" if stale else "")
    _emit({"stopped": stopped, "stale_pid_cleared": stale}, text, as_json)


@connect_server.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Say whether the server runs (pid, sc:// URL, master, log)."""
    info = _server().status().to_dict()
    _emit(info, _status_text(info), as_json)


@connect_server.command()
def url() -> None:
    """Print the running server's sc:// URL (exit 1 when none runs)."""
    from ducky.errors import EngineError

    found = _server().url()
    if found is None:
        raise EngineError("no Spark Connect server runs: `ducky spark connect-server start`")
    click.echo(found)
