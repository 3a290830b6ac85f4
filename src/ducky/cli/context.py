"""Settings shared by every command (global options of the root group)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ducky.datasets import DataDir


@dataclass
class Settings:
    data: Path
    json: bool = False
    debug: bool = False
    source: str | None = None  # --data postgresql://...: an existing database, read in place
    mapping: Path | None = None  # --mapping: its schema/table/column/value names

    @property
    def datadir(self) -> DataDir:
        if self.source:
            from ducky.engines.postgres.source import PgSource

            return PgSource(self.source, self.mapping)
        from ducky.datasets import DataDir

        return DataDir(self.data)


def get_settings() -> Settings:
    """The root group's settings, or defaults when a command is invoked on its own (tests)."""
    from ducky.cli.options import JSON_META

    ctx = click.get_current_context(silent=True)
    found: Settings | None = None
    c = ctx
    while c is not None:
        if isinstance(c.obj, Settings):
            found = c.obj
            break
        c = c.parent
    if found is None:
        from ducky.datasets.datadir import default_data_dir

        found = Settings(data=default_data_dir())
        if ctx is not None:
            ctx.obj = found if ctx.obj is None else ctx.obj
    if ctx is not None and ctx.meta.get(JSON_META):  # `--json` given after the subcommand
        found.json = True
    return found


pass_settings = click.make_pass_decorator(Settings, ensure=False)
