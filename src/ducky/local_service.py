"""Small pieces every server ducky starts on this machine shares (the local PostgreSQL server,
the local Spark Connect server): loopback ports and the JSON state file kept under the data
directory's `.ducky/`."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a server could listen on `host:port` now.

    Bound the way the servers ducky starts bind (PostgreSQL's postmaster and the JVM's server
    sockets both set SO_REUSEADDR): a plain bind also fails on the TIME_WAIT sockets a server's
    own closed connections leave on its port, so a server restarted right after a stop would be
    moved to another port (and its URL with it). SO_REUSEADDR alone would then hide a live
    listener that is not bound the same way (a wildcard or dual-stack one), so a connect that
    is accepted also means "taken"; on Linux, listen (not bind) is what fails beside another
    listener, hence the listen.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:  # something answers there
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            s.listen(1)
        except OSError:
            return False
        return True


def read_state(path: Path) -> dict[str, Any]:
    """The JSON object stored at `path`, or {} when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
