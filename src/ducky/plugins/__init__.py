"""Feature plugins: pluggy hooks found through the `ducky.plugins` entry-point group.

`DUCKY_LOAD_PLUGINS` controls loading: unset loads every installed plugin, an empty value loads
none, and a comma-separated list loads only those names. A plugin that fails to import or to
register warns on stderr and the CLI keeps working without it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

GROUP = "ducky.plugins"
hookspec = pluggy.HookspecMarker("ducky")
hookimpl = pluggy.HookimplMarker("ducky")


class DuckySpecs:
    """Hooks a ducky plugin may implement."""

    @hookspec
    def register_commands(self, cli: click.Group) -> None:
        """Add click commands or groups to the root `ducky` group."""

    @hookspec
    def report_sections(self, datadir: Any) -> list[dict[str, Any]]:  # type: ignore[empty-body]
        """Sections for `ducky report`: dicts with `title`, `html` (and optional `order`)."""


@dataclass
class PluginInfo:
    name: str
    target: str
    distribution: str | None
    status: str  # loaded | failed | disabled
    reason: str | None = None


_manager: pluggy.PluginManager | None = None
_infos: list[PluginInfo] = []


def _wanted() -> set[str] | None:
    raw = os.environ.get("DUCKY_LOAD_PLUGINS")
    if raw is None:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading plugins on first use."""
    global _manager
    if _manager is not None:
        return _manager
    pm = pluggy.PluginManager("ducky")
    pm.add_hookspecs(DuckySpecs)
    wanted = _wanted()
    _infos.clear()
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else None
        if wanted is not None and ep.name not in wanted:
            _infos.append(PluginInfo(ep.name, ep.value, dist, "disabled", "DUCKY_LOAD_PLUGINS"))
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as e:  # a third party's bug must not break the CLI
            print(f"warning: plugin {ep.name!r} failed to load: {e}", file=sys.stderr)
            _infos.append(PluginInfo(ep.name, ep.value, dist, "failed", str(e)))
            continue
        _infos.append(PluginInfo(ep.name, ep.value, dist, "loaded"))
    _manager = pm
    return pm


def plugin_infos() -> list[PluginInfo]:
    plugin_manager()
    return list(_infos)


def reset() -> None:
    """Forget loaded plugins (tests change DUCKY_LOAD_PLUGINS between runs)."""
    global _manager
    _manager = None
    _infos.clear()
