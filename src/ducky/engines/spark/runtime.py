"""Spark's runtime facts shared by the engine and the local Connect server: Java, the pinned
session settings, the local-mode defaults and the `pyspark[connect]` client modules.

A module of its own so `engine.py` and `connect.py` both import it and neither imports the other's
private names (the spark <-> spark_connect import circle this replaced).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from ducky.errors import UserError

JAVA_HINT = (
    "install Java 17+ (e.g. `apt-get install openjdk-17-jre-headless`) or point JAVA_HOME at one"
)
MIN_JAVA = 17
APP_NAME = "ducky"

# Settings every ducky Spark session gets: the metric contract is in UTC, the data's timestamps
# are naive (Parquet TIMESTAMP with isAdjustedToUTC=false) and must come back unshifted.
PINNED_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}

# What `pyspark[connect]` adds (import names), needed only for sc:// masters.
CONNECT_MODULES = ("pandas", "grpc", "grpc_status", "google.rpc", "zstandard")


def _local_defaults(master: str) -> dict[str, str]:
    """Settings sized to one machine; a cluster keeps its own defaults."""
    if not master.startswith("local"):
        return {}
    m = re.fullmatch(r"local\[(\d+)(?:,\d+)?\]", master)
    cores = int(m.group(1)) if m else (os.cpu_count() or 2)
    return {
        # 200 shuffle partitions (Spark's default) are ~100 tiny tasks per core on a laptop;
        # the issue measured 14.7 s -> 6.9 s for weekly COUNT(DISTINCT) over 10M events.
        "spark.sql.shuffle.partitions": str(max(4, 2 * cores)),
        "spark.driver.memory": "2g",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Spark creates ./spark-warehouse in the current directory at start-up otherwise; ducky
        # creates no managed tables (rollups are cached temp views), so a temp folder will do.
        "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / f"ducky-spark-{os.getuid()}"),
    }


def _parse_conf_env(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        if "=" not in item:
            raise UserError(f"DUCKY_SPARK_CONF entry {item!r} must look like spark.key=value")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


# -- Java ------------------------------------------------------------------------------------
def _java_binary() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() else None
    return shutil.which("java")


def parse_java_version(text: str) -> int | None:
    """Major version from `java -version` output ('1.8.0_372' -> 8, '17.0.15' -> 17)."""
    m = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


@lru_cache(maxsize=8)
def _java_problem(java: str | None) -> str | None:
    if java is None:
        return f"no Java runtime found (Spark needs Java {MIN_JAVA}+): {JAVA_HINT}"
    try:
        p = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return f"{java} does not run ({e}): {JAVA_HINT}"
    version = parse_java_version(p.stderr + p.stdout)
    if version is None or version < MIN_JAVA:
        shown = version if version is not None else "unknown"
        return f"{java} is Java {shown}, Spark needs Java {MIN_JAVA}+: {JAVA_HINT}"
    return None


def java_problem() -> str | None:
    """None when a usable JRE is on JAVA_HOME / PATH, else a one-line reason with the fix."""
    return _java_problem(_java_binary())


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a dotted name whose parent package is missing
        return False


def jvm_log_path() -> Path:
    """Where the local JVM's own stderr goes (one file per user in the temp directory)."""
    return Path(tempfile.gettempdir()) / f"ducky-spark-jvm-{os.getuid()}.log"


@contextlib.contextmanager
def quiet_jvm_stderr() -> Iterator[None]:
    """Start the JVM inside this block to send its stderr to `jvm_log_path()`.

    The launcher's "WARNING: Using incubator modules" and pyspark's "Setting default log level"
    / "use sc.setLogLevel" lines are written by the JVM before any log4j setting applies, so the
    only way to keep them off the CLI's stderr is to give the child another file descriptor 2.
    Python's own writes (rich status lines, errors) keep the terminal: `sys.stderr` is pointed
    at a copy of the original descriptor while the block runs. `DUCKY_DEBUG` (or `--debug`)
    leaves everything on the terminal.
    """
    if os.environ.get("DUCKY_DEBUG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        log = os.open(jvm_log_path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:  # no descriptor 2 to swap (embedded use): leave it alone
        yield
        return
    old_stderr = sys.stderr
    try:
        sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, closefd=True)
        os.dup2(log, 2)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)
        if sys.stderr is not old_stderr:
            with contextlib.suppress(Exception):
                sys.stderr.close()
        sys.stderr = old_stderr
        os.close(saved)
        os.close(log)
