"""Options shared by several commands: one vocabulary for the whole CLI.

- `--engine/-e` defaults to duckdb everywhere (env DUCKY_ENGINE, then ducky.toml).
- `--json` works before the subcommand (`ducky --json query wau`) and after it
  (`ducky query wau --json`): `add_json_flag` gives every command that lacks one the flag.
- `--from/--to` mean one thing everywhere: both ends inclusive; YYYY-MM is the whole month, so
  `--from 2025-03 --to 2025-03` is March. `date_range` turns them into the half-open
  [start, end) ISO dates the SQL takes; a reversed range is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from ducky.dateranges import RANGE_HELP, date_range

__all__ = [
    "RANGE_HELP", "add_json_flag", "date_range", "dsn_option", "engine_option", "engine_options",
    "format_option", "json_flag", "range_options",
]  # fmt: skip

JSON_META = "ducky.json"  # ctx.meta key set by a subcommand's --json (meta is shared by the chain)


def engine_option(default: str = "duckdb") -> Callable[[Any], Any]:
    return click.option(
        "--engine",
        "-e",
        default=default,
        show_default=True,
        envvar="DUCKY_ENGINE",
        help="Engine to run on (see `ducky engines`; env DUCKY_ENGINE).",
    )


def format_option() -> Callable[[Any], Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default=None,
        help="Output format (default: table, or json with --json).",
    )


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[JSON_META] = True


def json_flag() -> click.Option:
    """The `--json` flag a subcommand accepts after its name (same as the global `--json`)."""
    return click.Option(
        ["--json"],
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Machine-readable JSON output (same as `ducky --json ...`).",
    )


def add_json_flag(cmd: click.Command) -> click.Command:
    """Give `cmd` (and a group's subcommands) a `--json` flag unless it has its own."""
    if getattr(cmd, "_ducky_json", False):
        return cmd
    cmd._ducky_json = True  # type: ignore[attr-defined]
    if not any("--json" in getattr(p, "opts", ()) for p in cmd.params):
        cmd.params.append(json_flag())
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            add_json_flag(sub)
    return cmd


def range_options(what: str = "data") -> Callable[[Any], Any]:
    """`--from/--to` with the one documented meaning."""

    def deco(fn: Any) -> Any:
        fn = click.option(
            "--to",
            "date_to",
            default=None,
            metavar="YYYY-MM[-DD]",
            help=f"Last day or month of {what} included ({RANGE_HELP}).",
        )(fn)
        fn = click.option(
            "--from",
            "date_from",
            default=None,
            metavar="YYYY-MM[-DD]",
            help=f"First day or month of {what} included ({RANGE_HELP}).",
        )(fn)
        return fn

    return deco


def dsn_option(fn: Any) -> Any:
    """`--dsn DSN` on a command with `-o/--engine-option`: the same as `-o dsn=DSN`.

    load, rollup and ingest take `--dsn`; this gives query, cohort, audience and serve the same
    spelling (issue 18: `--dsn` one way) while `-o dsn=` keeps working. Apply it below the `-o`
    option (closer to the function) so the wrapper sees `engine_opts`.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, dsn: str | None = None, **kwargs: Any) -> Any:
        if dsn:
            kwargs["engine_opts"] = (*kwargs.get("engine_opts", ()), f"dsn={dsn}")
        return fn(*args, **kwargs)

    return click.option(
        "--dsn",
        default=None,
        help="PostgreSQL DSN for -e postgres (same as -o dsn=DSN; default: the local server).",
    )(wrapper)


def engine_options(fn: Any) -> Any:
    """`-o/--engine-option KEY=VALUE` (repeatable) and its `--dsn` spelling, as query, cohort,
    audience and serve all take them (one declaration instead of four copies)."""
    opt = click.option(
        "-o",
        "--engine-option",
        "engine_opts",
        multiple=True,
        help="KEY=VALUE for the engine (repeatable).",
    )
    return opt(dsn_option(fn))
