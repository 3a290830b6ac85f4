"""`ducky serve`: the audience API (FastAPI) on one engine connection."""

from __future__ import annotations

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
    # Importing the web stack and opening the engine takes seconds: say so at once.
    with Console(stderr=True).status(f"starting: opening {settings.data} on {engine}…"):
        import uvicorn

        from ducky.api import create_app
        from ducky.queries import parse_engine_options

        app = create_app(settings.datadir, engine, **parse_engine_options(engine_opts))
    click.echo(f"serving {settings.data} on {engine}: http://{host}:{port}/docs", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
