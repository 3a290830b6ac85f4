"""A local Spark Connect server, started from the pip-installed pyspark itself.

pyspark (4.x) ships the server: `jars/spark-connect_*.jar` and `bin/spark-submit`. ducky runs
`spark-submit --class org.apache.spark.sql.connect.service.SparkConnectServer` directly rather
than pyspark's `sbin/start-connect-server.sh`: that script daemonizes through
`spark-daemon.sh`, which writes its pid file to /tmp and its logs into the pyspark package
folder, where ducky could not find a stale one again. Here the JVM is ducky's child in its own
session (it outlives the command, like `ducky pg start`), listening on loopback only.

Layout under the state folder (default `<data>/.ducky/spark-connect`):
    state.json            pid, port and master of the server started last
    connect-server.log    the server's stdout/stderr (log level WARN)
    log4j2.properties     that log level

The truth about a running server is the pid in state.json checked against the live process
table: alive, a java process running SparkConnectServer on our port. A pid whose process died
(or was reused by something else) is stale; `status` says so and `start`/`stop` clean it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ducky.errors import ConnectionFailed, EngineError, EngineUnavailable
from ducky.local_service import LOOPBACK, free_port, port_is_free, read_state

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
HOST = LOOPBACK
START_TIMEOUT_S = 180  # a cold JVM on a busy 2-core machine takes tens of seconds
STOP_TIMEOUT_S = 30

SERVER_LOG4J2 = (
    "rootLogger.level = warn\n"
    "rootLogger.appenderRef.stderr.ref = console\n"
    "appender.console.type = Console\n"
    "appender.console.name = console\n"
    "appender.console.target = SYSTEM_ERR\n"
    "appender.console.layout.type = PatternLayout\n"
    "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n\n"
)


@dataclass
class ConnectStatus:
    """What `ducky spark connect-server status` reports."""

    state_dir: str
    running: bool
    pid: int | None
    port: int | None
    url: str | None
    master: str | None
    stale: bool  # state.json names a server process that no longer runs
    log: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def spark_home() -> Path:
    """The pyspark package folder, which is a complete SPARK_HOME (bin/, jars/)."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("a Spark Connect server needs pyspark: pip install 'ducky[spark]'")
    home = Path(next(iter(spec.submodule_search_locations)))
    if not any((home / "jars").glob("spark-connect_*.jar")):
        raise EngineUnavailable(
            f"this pyspark ({home}) has no jars/spark-connect_*.jar: Spark Connect needs pyspark 4+"
        )
    return home


def port_accepts(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def parse_connect_url(url: str) -> tuple[str, int]:
    """(host, port) of `sc://host[:port][/;params]`; Spark Connect's default port is 15002."""
    from urllib.parse import urlparse

    parsed = urlparse(url.split(";", 1)[0])
    if parsed.scheme != "sc" or not parsed.hostname:
        raise EngineError(f"not a Spark Connect URL (sc://host:port): {url!r}")
    try:
        port = parsed.port or 15002
    except ValueError as e:
        raise EngineError(f"bad port in Spark Connect URL {url!r}: {e}") from e
    return parsed.hostname, port


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail fast, in one line, when nothing listens at a Connect URL: pyspark's client would
    otherwise retry an unreachable server for minutes before giving up."""
    host, port = parse_connect_url(url)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise ConnectionFailed(
            f"spark: cannot reach the Spark Connect server at {url} ({host}:{port}: {reason}); "
            "start one with `ducky spark connect-server start` or check the URL"
        ) from e


class ConnectServer:
    """One local Spark Connect server under `state_dir`; every method is safe to repeat."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.state_path = self.state_dir / "state.json"
        self.log_path = self.state_dir / "connect-server.log"

    # -- state -------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return read_state(self.state_path)

    def _save_state(self, state: dict[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self.state_path)

    def pid(self) -> int | None:
        """The recorded pid if that process is alive and is our Connect server, else None."""
        st = self._state()
        pid, port = st.get("pid"), st.get("port")
        if not isinstance(pid, int) or not isinstance(port, int):
            return None
        return pid if _is_our_server(pid, port) else None

    def url(self) -> str | None:
        port = self._state().get("port")
        return f"sc://{HOST}:{port}" if self.pid() is not None and port else None

    def status(self) -> ConnectStatus:
        st = self._state()
        pid = self.pid()
        port = st.get("port") if isinstance(st.get("port"), int) else None
        return ConnectStatus(
            state_dir=str(self.state_dir),
            running=pid is not None,
            pid=pid,
            port=port,
            url=f"sc://{HOST}:{port}" if pid is not None and port else None,
            master=st.get("master") if pid is not None else None,
            stale=pid is None and isinstance(st.get("pid"), int),
            log=str(self.log_path),
        )

    def _clear_pid(self) -> None:
        st = self._state()
        if "pid" in st:
            st.pop("pid")
            self._save_state(st)

    # -- lifecycle ---------------------------------------------------------------------------
    def command(
        self, port: int, master: str, conf: dict[str, str], driver_memory: str | None
    ) -> list[str]:
        """The spark-submit command line that runs the server (exec's the JVM: same pid)."""
        home = spark_home()
        log4j = self.state_dir / "log4j2.properties"
        settings = {
            "spark.connect.grpc.binding.address": HOST,  # loopback only: no auth on this server
            "spark.connect.grpc.binding.port": str(port),
            "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{log4j}",
            **conf,
        }
        cmd = [str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS, "--master", master]
        cmd += ["--name", "ducky Spark Connect server"]
        if driver_memory:
            cmd += ["--driver-memory", driver_memory]
        for k, v in settings.items():
            cmd += ["--conf", f"{k}={v}"]
        return cmd

    def start(
        self,
        port: int | None = None,
        master: str = "local[*]",
        conf: dict[str, str] | None = None,
        driver_memory: str | None = None,
        timeout: float = START_TIMEOUT_S,
    ) -> str:
        """Start the server unless it already runs; return its `sc://` URL.

        The port is the one asked for, else the one used last time when free, else a free one.
        Waits until the server accepts connections; on failure the process is ended and the
        error names the log's last line.
        """
        from ducky.engines.spark.runtime import PINNED_CONF, _local_defaults, java_problem

        running = self.url()
        if running is not None:
            if port is not None and port != self._state().get("port"):
                raise EngineError(
                    f"a Spark Connect server already runs at {running}: stop it first "
                    "to start one on another port"
                )
            return running
        problem = java_problem()
        if problem:
            raise EngineUnavailable(f"the Spark Connect server cannot start: {problem}")
        self._clear_pid()
        if port is None:
            last = self._state().get("port")
            port = last if isinstance(last, int) and port_is_free(last) else free_port()
        elif not port_is_free(port):
            raise EngineError(f"port {port} on {HOST} is in use: pick another with --port")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "log4j2.properties").write_text(SERVER_LOG4J2)
        # The server holds the session settings every client gets by default: the metric
        # contract's UTC / naive-timestamp settings, and the one-machine sizing of local mode.
        defaults = {k: v for k, v in _local_defaults(master).items() if k != "spark.driver.memory"}
        settings = {**defaults, **PINNED_CONF, **(conf or {})}
        memory = driver_memory or _local_defaults(master).get("spark.driver.memory")
        env = {**os.environ, "SPARK_HOME": str(spark_home())}
        if master.startswith("local"):
            env.setdefault("SPARK_LOCAL_IP", HOST)
        with self.log_path.open("ab") as log:
            proc = subprocess.Popen(
                self.command(port, master, settings, memory),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,  # anything Spark writes to its cwd stays in the state folder
                env=env,
                start_new_session=True,  # outlives this command and the terminal's signals
            )
        self._save_state({"pid": proc.pid, "port": port, "master": master})
        deadline = time.monotonic() + timeout
        while not port_accepts(HOST, port, timeout=1.0):
            if proc.poll() is not None:
                self._clear_pid()
                raise EngineError(
                    f"the Spark Connect server exited with code {proc.returncode} before "
                    f"listening: {self._last_log_line()} (log: {self.log_path})"
                )
            if time.monotonic() > deadline:
                _end_process(proc.pid)
                proc.wait()
                self._clear_pid()
                raise EngineError(
                    f"the Spark Connect server did not listen on {HOST}:{port} within "
                    f"{timeout:.0f}s (log: {self.log_path})"
                )
            time.sleep(0.25)
        url = f"sc://{HOST}:{port}"
        self._announce(url, proc.pid)
        return url

    def _announce(self, url: str, pid: int) -> None:
        """One line on stderr for a server this process started: it outlives the command, so
        the line says how to stop it (a server that already ran is not announced)."""
        data = self.state_dir.parent.parent if self.state_dir.parent.name == ".ducky" else None
        where = f"--data {data} " if data is not None else ""
        print(
            f"ducky: started a local Spark Connect server ({url}, pid {pid}, log "
            f"{self.log_path}); stop it with `ducky {where}spark connect-server stop`",
            file=sys.stderr,
        )

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Stop the server if it runs (SIGTERM: Spark's shutdown hooks stop the context, then
        SIGKILL after `timeout`). True when one was stopped; a stale pid is cleared."""
        pid = self.pid()
        if pid is None:
            self._clear_pid()
            return False
        _end_process(pid, timeout)
        self._clear_pid()
        return True

    def _last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln]
        except OSError:
            return "no log"
        return lines[-1][:300] if lines else "empty log"


def _is_our_server(pid: int, port: int) -> bool:
    """pid is alive (not a zombie) and runs SparkConnectServer bound to `port` (pids get
    reused, so the command line is checked, not just the pid)."""
    import psutil

    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        cmd = p.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return SERVER_CLASS in cmd and f"spark.connect.grpc.binding.port={port}" in cmd


def _end_process(pid: int, grace: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM `pid` and its children, SIGKILL what is left after `grace` seconds."""
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
        _, procs = psutil.wait_procs(procs, timeout=grace)
        # A zombie is gone for our purposes; its parent (maybe us) reaps it.
        procs = [p for p in procs if _alive(p)]
        if not procs:
            return


def _alive(p: Any) -> bool:
    import psutil

    try:
        return bool(p.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def connect_server_for(state_dir: Path) -> ConnectServer:
    """The local Connect server of a data directory's state folder (`<data>/.ducky`)."""
    return ConnectServer(state_dir / "spark-connect")
