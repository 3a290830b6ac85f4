"""Credentials for secured clusters: an Elasticsearch API key (`--es-api-key` /
DUCKY_ES_API_KEY) through the Elasticsearch client and basic auth (`--es-user` /
`--es-password`) through opensearch-py, against osmem-server behind a loopback proxy that
demands them (tests/plugins/segment/auth_proxy.py). Every request must carry the header; the secrets
never show up in the output or the error lines."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from ducky.datasets import DataDir
from tests.cli_support import run_cli
from tests.plugins.segment.auth_proxy import auth_proxy
from tests.plugins.segment.inproc import run_inproc

pytestmark = [pytest.mark.es, pytest.mark.model]

API_KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="  # base64 "id:key"
USER, PASSWORD = "ducky_reader", "s3cret-Pa55word"


@pytest.fixture(scope="module")
def auth_data(warm_synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("seg-auth") / "data"
    shutil.copytree(warm_synth_dir, data)
    return data


def _no_secret(*texts: str) -> None:
    for t in texts:
        assert API_KEY not in t and PASSWORD not in t


def test_api_key_reaches_every_request(es_url: str, auth_data: Path) -> None:
    with auth_proxy(es_url, f"ApiKey {API_KEY}") as proxy:
        common = ["--es-url", proxy.url, "--es-backend", "elasticsearch"]
        # the key from the environment...
        r = run_inproc(
            "--json",
            "--data",
            str(auth_data),
            "es",
            "load",
            *common,
            "--index",
            "auth_logs",
            "--replace",
            env={"DUCKY_ES_API_KEY": API_KEY},
        )
        assert r.code == 0, r.stderr
        rows = DataDir(auth_data).manifest().rows("search_logs")
        assert json.loads(r.stdout)["count"] == rows
        # ...and from the option, through extraction, push and tagging
        r = run_inproc(
            "--json",
            "--data",
            str(auth_data),
            "segment",
            *common,
            "--es-api-key",
            API_KEY,
            "--es-index",
            "auth_logs",
            "--push-es",
            "--tag-logs",
            "--segments-index",
            "auth_segments",
            "--k",
            "6",
        )
        assert r.code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["log_rows"] == rows and doc["tagged"]["ok"] == rows
        _no_secret(r.stdout, r.stderr)
        # GET / (backend probe), index creation, bulk, scroll, alias swap: all authenticated
        methods = {m for m, _, _ in proxy.seen}
        assert {"GET", "PUT", "POST"} <= methods
        assert any(path.startswith("/_bulk") for _, path, _ in proxy.seen)
        assert proxy.authorizations() == {f"ApiKey {API_KEY}"}


def test_missing_or_wrong_credentials_are_one_line(es_url: str, auth_data: Path) -> None:
    with auth_proxy(es_url, f"ApiKey {API_KEY}") as proxy:
        base = ["--data", str(auth_data), "es", "load", "--es-url", proxy.url]
        r = run_cli(*base)
        assert r.code == 3 and r.stderr.count("\n") == 1
        assert r.stderr == (
            f"error: {proxy.url} needs credentials (HTTP 401): pass --es-api-key or "
            "--es-user/--es-password\n"
        )
        wrong = "d3Jvbmc6a2V5"
        r = run_cli(*base, "--es-backend", "elasticsearch", env={"DUCKY_ES_API_KEY": wrong})
        assert (
            r.code == 3 and r.stderr == f"error: {proxy.url} refused the credentials (HTTP 401)\n"
        )
        assert wrong not in r.stdout + r.stderr
        assert proxy.authorizations() == {None, f"ApiKey {wrong}"}


def test_opensearch_basic_auth(es_url: str, auth_data: Path) -> None:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    with auth_proxy(es_url, f"Basic {token}") as proxy:
        r = run_inproc(
            "--json",
            "--data",
            str(auth_data),
            "es",
            "load",
            "--es-url",
            proxy.url,
            "--es-user",
            USER,
            "--index",
            "auth_logs_os",
            "--replace",
            env={"DUCKY_ES_PASSWORD": PASSWORD},
        )
        assert r.code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["backend"] == "opensearch" and doc["failed"] == 0
        _no_secret(r.stdout, r.stderr)
        assert proxy.authorizations() == {f"Basic {token}"}
        # an Elasticsearch API key means nothing to OpenSearch's security plugin
        r = run_cli(
            "--data",
            str(auth_data),
            "es",
            "load",
            "--es-url",
            es_url,
            "--es-api-key",
            API_KEY,
        )
        assert r.code == 2
        assert r.stderr == (
            f"error: {es_url} is OpenSearch: --es-api-key is for Elasticsearch; "
            "use --es-user/--es-password\n"
        )
        _no_secret(r.stdout, r.stderr)


def test_credential_combinations_are_checked(auth_data: Path) -> None:
    url = "http://127.0.0.1:9"  # never contacted: the options are checked first
    cases = [
        (["--es-user", USER], "--es-user and --es-password go together (env DUCKY_ES_PASSWORD)"),
        (
            ["--es-api-key", API_KEY, "--es-user", USER, "--es-password", PASSWORD],
            "give either --es-api-key or --es-user/--es-password, not both",
        ),
    ]
    for extra, message in cases:
        r = run_inproc("--data", str(auth_data), "es", "load", "--es-url", url, *extra)
        assert r.code == 2 and r.stderr == f"error: {message}\n", r.stderr
        _no_secret(r.stdout, r.stderr)


def test_credentials_inside_the_url(es_url: str, auth_data: Path) -> None:
    """`--es-url http://user:pw@host` (as the client libraries accept it) is basic auth on every
    request, the probe included (urllib alone read `user:pw@host` as a host name: "Name or
    service not known"); a percent-encoded password arrives decoded, and is never printed."""
    password = "p@ss:w/rd%"
    token = base64.b64encode(f"{USER}:{password}".encode()).decode()
    with auth_proxy(es_url, f"Basic {token}") as proxy:
        host = proxy.url.split("://", 1)[1]
        secret_url = f"http://{USER}:p%40ss%3Aw%2Frd%25@{host}"
        r = run_inproc(
            "--json",
            "--data",
            str(auth_data),
            "es",
            "load",
            "--es-url",
            secret_url,
            "--index",
            "auth_logs_url",
            "--replace",
        )
        assert r.code == 0, r.stderr
        assert json.loads(r.stdout)["failed"] == 0
        assert proxy.authorizations() == {f"Basic {token}"}
        assert password not in r.stdout + r.stderr and "p%40ss" not in r.stdout + r.stderr
    # in the URL and in the options at once: one line, nothing contacted
    r = run_inproc(
        "--data", str(auth_data), "es", "load", "--es-url", "http://u:pw@127.0.0.1:9",
        "--es-user", USER, env={"DUCKY_ES_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert r.code == 2, r.stderr
    assert r.stderr == (
        "error: credentials both in --es-url and in --es-user or --es-api-key (give them once)\n"
    )
    _no_secret(r.stdout, r.stderr)
