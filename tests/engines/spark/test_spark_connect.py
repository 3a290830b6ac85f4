"""The spark engine through Spark Connect (`-o master=sc://...`), against a REAL local Spark
Connect server (tests/fixtures/spark.py starts it once, via `ducky spark connect-server`).

Parity on every query x variant x parameter set is in tests/engines/test_cross_engine.py (engine
`spark-connect`); here: exact DuckDB equality with the reference's known answers, the month
pruning seen through Connect, the server's CLI and pid handling, and one-line errors for an
unreachable URL and a missing client package.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ducky.datasets import DataDir
from ducky.engines import open_engine
from tests import handmade, reference
from tests.cli_support import run_cli
from tests.fixtures.spark import ConnectServerInfo, run_spark_cli

pytestmark = [pytest.mark.spark, pytest.mark.integration]


@pytest.fixture(scope="module")
def connect_engine(spark_connect_server: ConnectServerInfo, handmade_dir: Path) -> Iterator[Any]:
    from ducky.engines.spark import SparkEngine

    engine = SparkEngine(DataDir(handmade_dir), master=spark_connect_server.url)
    engine.connect()
    engine.load()
    yield engine
    engine.close()


def _duckdb(data: Path, query: str, **params: Any) -> pa.Table:
    with open_engine("duckdb", DataDir(data)) as eng:
        eng.load()
        return eng.query(query, **params)


def test_connect_engine_holds_a_connect_session_with_the_pinned_settings(
    connect_engine: Any,
) -> None:
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    assert connect_engine.is_connect
    assert isinstance(connect_engine.session, ConnectSession)
    # The metric contract's settings reach the server-side session.
    conf = connect_engine.session.conf
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.sql.parquet.inferTimestampNTZ.enabled") == "true"


def test_known_answers_and_exact_duckdb_table_over_connect(
    connect_engine: Any, handmade_dir: Path
) -> None:
    """One query here (every query x variant runs through Connect in test_cross_engine.py):
    the reference's known answers, and DuckDB's exact Arrow table (types, nullability)."""
    got = connect_engine.query("cohort", weeks=3)
    want_rows = reference.cohort(handmade.USERS, handmade.EVENTS, 3)
    assert got.to_pylist() == [
        {k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()}
        for r in want_rows
    ]
    want = _duckdb(handmade_dir, "cohort", weeks=3)
    assert got.schema == want.schema  # same Arrow types and nullability, not merely close
    assert got.equals(want)


def test_month_pruning_over_connect(connect_engine: Any, handmade_dir: Path) -> None:
    params = {"date_from": "2025-01-01", "date_to": "2025-02-01"}
    sql = connect_engine.render("revenue", **params)
    assert "events_months_202501_202501" in sql
    plan = connect_engine.explain(sql, analyze=True)
    assert "PartitionFilters: [isnotnull(month" in plan
    assert ">= 2025-01)" in plan and "<= 2025-01)]" in plan
    got = connect_engine.run(sql)
    assert got.equals(_duckdb(handmade_dir, "revenue", **params))


def test_static_settings_are_refused_with_the_fix(
    spark_connect_server: ConnectServerInfo, handmade_dir: Path
) -> None:
    from ducky.engines.spark import SparkEngine
    from ducky.errors import UserError

    engine = SparkEngine(DataDir(handmade_dir), master=spark_connect_server.url, driver_memory="3g")
    with pytest.raises(UserError, match="static setting of the Spark Connect server") as e:
        engine.connect()
    assert "connect-server start --conf" in str(e.value) and "\n" not in str(e.value)


def test_cli_query_through_connect(
    spark_connect_server: ConnectServerInfo, handmade_dir: Path
) -> None:
    url = run_spark_cli(spark_connect_server.data, "connect-server", "url")
    assert url.code == 0, url.stderr
    assert url.stdout.strip() == spark_connect_server.url
    r = run_cli(
        "--data", str(handmade_dir), "--json", "query", "revenue", "--engine", "spark",
        "-o", f"master={url.stdout.strip()}",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    rows = json.loads(r.stdout)["rows"]
    want = reference.revenue(handmade.EVENTS, handmade.PRODUCTS)
    assert [(x["category"], x["purchases"], x["buyers"]) for x in rows] == [
        (w["category"], w["purchases"], w["buyers"]) for w in want
    ]


def test_server_status_reports_the_running_server(spark_connect_server: ConnectServerInfo) -> None:
    r = run_spark_cli(spark_connect_server.data, "connect-server", "status", "--json")
    assert r.code == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["running"] and not info["stale"]
    assert (info["url"], info["pid"]) == (spark_connect_server.url, spark_connect_server.pid)
    assert info["master"] == "local[2]"
    # Started again: the running one is reused, not a second JVM.
    again = run_spark_cli(spark_connect_server.data, "connect-server", "start", "--json")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout)["pid"] == spark_connect_server.pid
    assert "started" not in again.stderr  # nothing was started: nothing to announce


def test_the_start_is_announced_with_how_to_stop(spark_connect_server: ConnectServerInfo) -> None:
    """The server outlives the command, so its start says so in one line with the way to stop
    it; that way is the one the fixture stops it with at the end (`ducky --data D spark
    connect-server stop`, then it checks that no server process is left)."""
    import shlex

    s = spark_connect_server
    lines = [ln for ln in s.start_stderr.splitlines() if ln.startswith("ducky: ")]
    log = s.data.absolute() / ".ducky" / "spark-connect" / "connect-server.log"
    stop = f"ducky --data {s.data.absolute()} spark connect-server stop"
    assert lines == [
        f"ducky: started a local Spark Connect server ({s.url}, pid {s.pid}, log {log}); "
        f"stop it with `{stop}`"
    ]
    # The fixture's stop: run_spark_cli(data, "connect-server", "stop") is this command line.
    assert shlex.split(stop)[1:] == ["--data", str(s.data), "spark", "connect-server", "stop"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_stale_pid_is_reported_and_cleared(tmp_path: Path) -> None:
    """A server killed outright leaves its pid in state.json: status says stale, stop clears."""
    from ducky.engines.spark.connect import connect_server_for

    data = tmp_path / "data"
    data.mkdir()
    server = connect_server_for(DataDir(data).state_dir)
    # A real pid that is not a Connect server (this test process) and one that is dead.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    for pid in (os.getpid(), dead.pid):
        server._save_state({"pid": pid, "port": _free_port(), "master": "local[2]"})
        status = run_spark_cli(data, "connect-server", "status", "--json")
        assert status.code == 0, status.stderr
        info = json.loads(status.stdout)
        assert not info["running"] and info["stale"] and info["pid"] is None
        stop = run_spark_cli(data, "connect-server", "stop", "--json")
        assert json.loads(stop.stdout) == {"stopped": False, "stale_pid_cleared": True}
        assert "pid" not in json.loads((server.state_dir / "state.json").read_text())
    url = run_spark_cli(data, "connect-server", "url")
    assert url.code == 1 and url.stderr.strip().startswith("error: no Spark Connect server")


def test_unreachable_url_is_one_line_exit_3(handmade_dir: Path) -> None:
    url = f"sc://127.0.0.1:{_free_port()}"  # nothing listens there
    r = run_cli(
        "--data", str(handmade_dir), "query", "wau", "--engine", "spark", "-o", f"master={url}"
    )
    assert r.code == 3, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: spark: cannot reach the Spark Connect")
    assert url in lines[0] and "connect-server start" in lines[0]
    assert r.stdout == ""


def test_missing_client_package_is_one_line_exit_2(handmade_dir: Path, tmp_path: Path) -> None:
    """As if zstandard were not installed: an import hook hides it from the subprocess."""
    hook = tmp_path / "hide" / "sitecustomize.py"
    hook.parent.mkdir()
    hook.write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'zstandard' or name.startswith('zstandard.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(hook.parent), os.environ.get("PYTHONPATH", "")])}
    r = run_cli(
        "--data", str(handmade_dir), "query", "wau", "--engine", "spark",
        "-o", f"master=sc://127.0.0.1:{_free_port()}", env=env,
    )  # fmt: skip
    assert r.code == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "pyspark[connect]" in lines[0] and "zstandard" in lines[0]
