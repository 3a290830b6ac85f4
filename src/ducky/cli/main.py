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

from ducky.cli.context import Settings
from ducky.cli.options import add_json_flag
from ducky.errors import DuckyError
from ducky.version import __version__

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
    "quarantine": "ducky.cli.quarantine_cmd:quarantine",
    "report": "ducky.cli.report_cmd:report",
    "demo": "ducky.cli.demo_cmd:demo",
    "rollup": "ducky.cli.rollup_cmd:rollup",
    "spark": "ducky.cli.spark_cmd:spark",
    "env": "ducky.cli.env_cmd:env",
}

CONFIG_META = "ducky.config"  # ctx.meta: the ducky.toml settings (flag > env > file > default)


def _config_defaults(cmd: click.Command, config: dict[str, Any]) -> dict[str, Any]:
    """click's default_map for `cmd` (and a group's subcommands) from the ducky.toml settings.

    click looks a default up as: command line, then the option's envvar, then default_map, then
    the option's own default, which is exactly flag > env > file > default."""
    out: dict[str, Any] = {p.name: config[p.name] for p in cmd.params if p.name in config}
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            out[name] = _config_defaults(sub, config)
    return out


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

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        from ducky.config import load_config

        config = load_config() if parent is None else {}
        if config and "default_map" not in extra:
            extra["default_map"] = {"data": config["data"]} if "data" in config else {}
            if "mapping" in config:  # the root's --mapping (a postgresql:// source's names)
                extra["default_map"]["source_mapping"] = config["mapping"]
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[CONFIG_META] = config
        return ctx

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd: click.Command | None
        if cmd_name in BUILTIN_COMMANDS:
            module, attr = BUILTIN_COMMANDS[cmd_name].split(":")
            cmd = getattr(importlib.import_module(module), attr)
        else:
            self._load_plugins()
            cmd = self.commands.get(cmd_name)
        if cmd is None:
            return None
        config = ctx.meta.get(CONFIG_META)
        if config and ctx.default_map is not None:
            ctx.default_map[cmd_name] = _config_defaults(cmd, config)
        return add_json_flag(cmd)


@click.group(cls=DuckyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ducky")
@click.option(
    "--data",
    envvar="DUCKY_DATA",
    default="data",
    show_default=True,
    help="Data directory, or a postgresql:// URL of an existing database read in place "
    "(env DUCKY_DATA, then `data` in ducky.toml).",
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
    from ducky.engines.postgres.dsn import is_pg_url  # light: no driver import

    if debug:  # engines read it too: --debug keeps library/JVM output on the terminal
        os.environ["DUCKY_DEBUG"] = "1"

    if is_pg_url(data):
        from ducky.engines.postgres.source import state_path

        # Never a Path: `Path("postgresql://u:pw@h/db")` would print the password later.
        ctx.obj = Settings(
            data=state_path(data), json=as_json, debug=debug, source=data, mapping=source_mapping
        )
    else:
        ctx.obj = Settings(data=Path(data), json=as_json, debug=debug, mapping=source_mapping)
    from ducky.engines.postgres import announce  # light: no driver import

    announce.request_stop(stop_server)
    ctx.call_on_close(announce.stop_started)


def _usage_line(e: click.ClickException) -> str:
    """Click's message on one line, with a near-miss command suggested and the --help to read."""
    msg = e.format_message()
    ctx = e.ctx if isinstance(e, click.UsageError) else None
    if ctx is None:
        return msg
    command = ctx.command
    if (
        msg.startswith("No such command")
        and "Did you mean" not in msg
        and isinstance(command, click.Group)
    ):
        import difflib

        typed = msg.split("'")[1] if msg.count("'") >= 2 else ""
        near = difflib.get_close_matches(typed, command.list_commands(ctx), n=1)
        if near:
            msg += f" Did you mean '{near[0]}'?"
    import re

    m = re.search(r"'([^']*)' is not one of ((?:'[^']*'(?:, )?)+)\.", msg)
    if m:  # a choice typed nearly right (`query wua`): name the nearest choice
        import difflib

        near = difflib.get_close_matches(m.group(1), re.findall(r"'([^']*)'", m.group(2)), n=1)
        if near:
            msg += f" Did you mean '{near[0]}'?"
    # click names an integer range type "integer range": the user typed something that is
    # not a whole number at all
    msg = msg.replace("is not a valid integer range.", "is not a whole number.")
    return f"{msg} (see '{ctx.command_path} --help')"


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI and turn errors into one line and an exit code.

    Every line written here goes through ducky.redact: a password given in --es-url,
    --hf-endpoint, --data/--dsn or a DUCKY_* variable never comes back in an error.
    """
    from ducky import redact

    args = list(sys.argv[1:] if argv is None else argv)
    redact.register_from(args)
    redact.register_environment()
    redact.install_logging()
    debug = "--debug" in args or bool(os.environ.get("DUCKY_DEBUG"))

    def say(line: str) -> None:
        click.echo(redact.redact(line), err=True)

    def trace() -> None:
        if debug:
            sys.stderr.write(redact.redact(traceback.format_exc()))

    try:
        cli.main(args=args, prog_name="ducky", standalone_mode=False)
    except DuckyError as e:
        trace()
        say(f"error: {e}")
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        # One line like every other mistake (click's own is three: usage, hint, error), with
        # the command whose --help answers it.
        if isinstance(e, click.exceptions.NoArgsIsHelpError):
            # a group named alone (`ducky es`): its help is the answer, not an error line
            click.echo(e.format_message(), err=True)
            sys.exit(e.exit_code)
        say(f"error: {_usage_line(e)}")
        sys.exit(e.exit_code)
    except click.Abort:
        say("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        say("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:
        trace()
        first = str(e).splitlines()[0] if str(e) else ""
        if isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryException":
            # DuckDB out of memory outside a query's own error wrapping (opening views, a
            # load): the memory limit is a setting the user chose, not a fault of ducky's.
            from ducky.errors import QueryOutOfMemory

            say(
                f"error: out of memory (-o memory_limit= or DUCKY_DUCKDB_MEMORY_LIMIT, "
                f"fewer threads): {first}"
            )
            sys.exit(QueryOutOfMemory.exit_code)
        say(f"internal error: {type(e).__name__}: {first} (run with --debug for the traceback)")
        sys.exit(70)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
