"""Options shared by several commands: one vocabulary for the whole CLI.

- `--engine/-e` defaults to duckdb everywhere (env DUCKY_ENGINE, then ducky.toml).
- `--json` works before the subcommand (`ducky --json query wau`) and after it
  (`ducky query wau --json`): `add_json_flag` gives every command that lacks one the flag.
- `--from/--to` mean one thing everywhere: both ends inclusive; YYYY-MM is the whole month, so
  `--from 2025-03 --to 2025-03` is March. `date_range` turns them into the half-open
  [start, end) ISO dates the SQL takes; a reversed range is an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click

JSON_META = "ducky.json"  # ctx.meta key set by a subcommand's --json (meta is shared by the chain)

RANGE_HELP = "both ends inclusive; YYYY-MM means the whole month"


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


def _parse_day(value: str, name: str, end: bool) -> dt.date:
    """A YYYY-MM-DD day, or for YYYY-MM the month's first day (`end`: its last day)."""
    from ducky.errors import UserError

    text = value.strip()
    try:
        if len(text) == 7:
            first = dt.date.fromisoformat(text + "-01")
            if not end:
                return first
            nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return nxt - dt.timedelta(days=1)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise UserError(f"{name}: {value!r} is not a date (YYYY-MM-DD or YYYY-MM)") from None


def date_range(
    date_from: str | None, date_to: str | None, names: tuple[str, str] = ("--from", "--to")
) -> tuple[str | None, str | None]:
    """The inclusive user range as the half-open [start, end) ISO dates the SQL takes.

    `--to 2025-03` ends after 2025-03-31 (end = 2025-04-01); `--to 2025-03-15` after that day.
    """
    from ducky.errors import UserError

    start = _parse_day(date_from, names[0], end=False) if date_from else None
    last = _parse_day(date_to, names[1], end=True) if date_to else None
    if start is not None and last is not None and start > last:
        raise UserError(f"{names[0]} {date_from} is after {names[1]} {date_to}")
    end = (last + dt.timedelta(days=1)).isoformat() if last is not None else None
    return (start.isoformat() if start else None), end


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
