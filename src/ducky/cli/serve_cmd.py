"""`ducky serve`: the audience API (FastAPI) on one engine connection."""

from __future__ import annotations

import errno
import socket

import click

from ducky.cli.context import get_settings
from ducky.cli.options import engine_option, engine_options


@click.command()
@engine_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@engine_options
def serve(engine: str, host: str, port: int, engine_opts: tuple[str, ...]) -> None:
    """Serve the audience API (docs at /docs) over the data directory."""
    from rich.console import Console

    settings = get_settings()
    # Bind first, ourselves: a port in use or a bad host is one error line before seconds of
    # imports (uvicorn would announce nothing useful and exit 3), and with --port 0 the
    # announced address is the port the system actually gave.
    sock = _bind(host, port)
    # Importing the web stack and opening the engine takes seconds: say so at once.
    with Console(stderr=True).status(f"starting: opening {settings.data} on {engine}…"):
        import uvicorn

        from ducky.api import create_app
        from ducky.queries import parse_engine_options

        app = create_app(settings.datadir, engine, **parse_engine_options(engine_opts))
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {settings.data} on {engine}: http://{shown}:{bound}/docs", err=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    from ducky.errors import UserError

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (OSError, UnicodeError) as e:
        raise UserError(f"--host {host!r}: not an address this machine can bind ({e})") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind(addr)
    except OSError as e:
        sock.close()
        why = "already in use" if e.errno == errno.EADDRINUSE else e.strerror or str(e)
        raise UserError(
            f"cannot listen on {host}:{port}: {why} (pick another --port, or 0 for any free one)"
        ) from None
    sock.set_inheritable(True)
    return sock
