"""Servers ducky starts are announced, and stopped at the end when asked.

A command that finds the data directory's local PostgreSQL stopped and starts it says so in one
line on stderr, with the command that stops it: a server left running is a deliberate
convenience (the next query skips the start and the load), never a surprise. With
`--stop-server` (or DUCKY_STOP_SERVER=1) the servers this process started are stopped when the
command ends.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ducky.engines.postgres.server import LocalServer

ENV_STOP = "DUCKY_STOP_SERVER"
# Servers started by this process, in start order (stopped in reverse by stop_started).
STARTED: list[LocalServer] = []
_stop_at_exit = False


def stop_requested() -> bool:
    value = os.environ.get(ENV_STOP, "").strip().lower()
    return _stop_at_exit or value in ("1", "true", "yes", "on")


def request_stop(flag: bool = True) -> None:
    global _stop_at_exit
    _stop_at_exit = flag


def ensure_local_server(state_dir: Path, data_path: Path | None = None) -> str:
    """The DSN of the local server under `state_dir`, started (and announced) if it was not."""
    from ducky.engines.postgres.server import local_server_for

    return start_announced(local_server_for(state_dir), data_path)


def start_announced(server: LocalServer, data_path: Path | None = None) -> str:
    """Start `server` unless it runs (its DSN either way); a start is announced on stderr.
    `ducky pg start` and `ducky pg dsn` start it through here too: an explicit start command
    still gets the line that says how to stop what it left running."""
    was_running = server.initialized and server.postmaster_pid() is not None
    dsn = str(server.ensure_running())
    if not was_running:
        announce_started(server, dsn, data_path)
    return dsn


def announce_started(server: LocalServer, dsn: str, data_path: Path | None = None) -> None:
    """The one line for a server this process started (and remember it for --stop-server)."""
    from ducky.engines.postgres.dsn import describe

    STARTED.append(server)
    data = f"--data {data_path} " if data_path is not None else ""
    tail = (
        "it stops when this command ends (--stop-server)"
        if stop_requested()
        else f"stop it with `ducky {data}pg stop`"
    )
    print(
        f"ducky: started a local PostgreSQL server ({describe(dsn)}, {server.pgdata}); {tail}",
        file=sys.stderr,
    )


def stop_started() -> list[str]:
    """Stop the servers this process started when a stop was requested; their folders."""
    if not stop_requested():
        return []
    out = []
    while STARTED:
        server = STARTED.pop()
        try:
            server.stop()
            out.append(str(server.pgdata))
        except Exception as e:  # a failed stop is reported, never a traceback at exit
            print(f"ducky: could not stop the local PostgreSQL server: {e}", file=sys.stderr)
    for path in out:
        print(f"ducky: stopped the local PostgreSQL server ({path})", file=sys.stderr)
    return out
