"""Root `ducky` group: global options, lazily loaded commands, plugin commands, error handling.

Command modules are imported only when a command runs (or when its help is listed), and they
import their heavy dependencies inside the command body, so `ducky --help` stays light.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from ducky import __version__
from ducky.cli.context import Settings
from ducky.errors import DuckyError

# name -> "module:attribute"; each module holds one command (or command group).
BUILTIN_COMMANDS: dict[str, str] = {
    "gen": "ducky.cli.gen_cmd:gen",
    "query": "ducky.cli.query_cmd:query",
    "sql": "ducky.cli.sql_cmd:sql",
    "engines": "ducky.cli.engines_cmd:engines",
    "plugins": "ducky.cli.plugins_cmd:plugins",
    "load": "ducky.cli.load_cmd:load",
    "pg": "ducky.cli.pg_cmd:pg",
    "bench": "ducky.cli.bench_cmd:bench",
    "cohort": "ducky.cli.cohort_cmd:cohort",
    "audience": "ducky.cli.audience_cmd:audience",
    "serve": "ducky.cli.serve_cmd:serve",
    "ingest": "ducky.cli.ingest_cmd:ingest",
    "report": "ducky.cli.report_cmd:report",
    "demo": "ducky.cli.demo_cmd:demo",
    "rollup": "ducky.cli.rollup_cmd:rollup",
    "spark": "ducky.engines.spark_cli:spark",
}


class DuckyGroup(click.Group):
    """A group that imports built-in commands on demand and adds plugin commands once."""

    _plugins_loaded = False

    def _load_plugins(self) -> None:
        if DuckyGroup._plugins_loaded:
            return
        DuckyGroup._plugins_loaded = True
        from ducky.plugins import plugin_manager

        pm = plugin_manager()
        for impl in pm.hook.register_commands.get_hookimpls():
            try:
                impl.function(cli=self)
            except Exception as e:  # a plugin's bug must not break the CLI
                print(
                    f"warning: plugin {impl.plugin_name!r} failed to register: {e}", file=sys.stderr
                )

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return sorted(set(BUILTIN_COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in BUILTIN_COMMANDS:
            module, attr = BUILTIN_COMMANDS[cmd_name].split(":")
            cmd: click.Command = getattr(importlib.import_module(module), attr)
            return cmd
        self._load_plugins()
        return self.commands.get(cmd_name)


@click.group(cls=DuckyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ducky")
@click.option(
    "--data",
    envvar="DUCKY_DATA",
    default="data",
    show_default=True,
    help="Data directory, or a postgresql:// URL of an existing database read in place "
    "(env DUCKY_DATA).",
)
@click.option(
    "--mapping",
    "source_mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DUCKY_MAPPING",
    default=None,
    help="With a postgresql:// --data: YAML/TOML mapping of its schema, tables, columns and "
    "event values onto the canonical ones (env DUCKY_MAPPING).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option(
    "--stop-server",
    is_flag=True,
    help="Stop the local PostgreSQL server at the end if this command started it "
    "(env DUCKY_STOP_SERVER=1).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    data: str,
    source_mapping: Path | None,
    as_json: bool,
    debug: bool,
    stop_server: bool,
) -> None:
    """ducky: local-first e-commerce analytics."""
    from ducky.pg.dsn import is_pg_url  # light: no driver import

    if is_pg_url(data):
        from ducky.pg.source import state_path

        # Never a Path: `Path("postgresql://u:pw@h/db")` would print the password later.
        ctx.obj = Settings(
            data=state_path(data), json=as_json, debug=debug, source=data, mapping=source_mapping
        )
    else:
        ctx.obj = Settings(data=Path(data), json=as_json, debug=debug, mapping=source_mapping)
    from ducky.pg import announce  # light: no driver import

    announce.request_stop(stop_server)
    ctx.call_on_close(announce.stop_started)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI and turn errors into one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("DUCKY_DEBUG"))
    try:
        cli.main(args=args, prog_name="ducky", standalone_mode=False)
    except DuckyError as e:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {e}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:
        if debug:
            traceback.print_exc()
        first = str(e).splitlines()[0] if str(e) else ""
        click.echo(
            f"internal error: {type(e).__name__}: {first} (run with --debug for the traceback)",
            err=True,
        )
        sys.exit(70)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
