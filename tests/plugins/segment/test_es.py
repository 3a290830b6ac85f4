"""Search logs in a real OpenSearch-compatible server (osmem-server, started by the `es_url`
fixture), through BOTH client code paths: the official Elasticsearch client (with the
plain-JSON node, see store/es.py) and opensearch-py."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ducky.datasets import DataDir
from ducky.errors import EngineError
from ducky.plugins.segment.store import open_store
from ducky.plugins.segment.store.es import ElasticsearchStore
from ducky.plugins.segment.store.opensearch import OpenSearchStore
from ducky.plugins.segment.store.parquet import read_search_logs
from ducky.plugins.segment.store.queries import LOGS_MAPPING
from tests.cli_support import run_cli
from tests.plugins.segment.inproc import run_inproc

pytestmark = [pytest.mark.es, pytest.mark.model]

INDEX = "user_logs_test"


@pytest.fixture(scope="module")
def es_data(warm_synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("seg-es") / "data"
    shutil.copytree(warm_synth_dir, data)
    return data


@pytest.fixture(scope="module")
def loaded(es_url: str, es_data: Path) -> str:
    """`ducky es load` of the synth search logs into INDEX (through the CLI)."""
    r = run_inproc(
        "--json",
        "--data",
        str(es_data),
        "es",
        "load",
        "--es-url",
        es_url,
        "--index",
        INDEX,
        "--replace",
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    rows = DataDir(es_data).manifest().rows("search_logs")
    assert doc["indexed"] == rows and doc["failed"] == 0 and doc["count"] == rows
    return INDEX


def _canon(t: pa.Table) -> list[tuple]:
    return sorted(
        (r["user_id"], r["timestamp"], r["search_query"], tuple(r["clicked_product_ids"] or ()))
        for r in t.to_pylist()
    )


def test_backend_choice(es_url: str) -> None:
    auto = open_store(es_url, "auto")
    assert isinstance(auto, OpenSearchStore)  # the server says distribution=opensearch
    es = open_store(es_url, "elasticsearch")
    assert isinstance(es, ElasticsearchStore) and es.plain_json  # not an ES 9 server
    for s in (auto, es):
        s.close()


@pytest.mark.parametrize(
    ("backend", "pagination"),
    [("elasticsearch", "scroll"), ("opensearch", "scroll"), ("opensearch", "pit")],
)
def test_extraction_returns_every_document(
    es_url: str, es_data: Path, loaded: str, backend: str, pagination: str
) -> None:
    store = open_store(es_url, backend)
    got = store.extract(loaded, pagination=pagination)
    store.close()
    want = read_search_logs(DataDir(es_data))
    assert got.num_rows == want.num_rows
    assert got.schema.equals(want.schema)
    assert _canon(got) == _canon(want)


def test_es_pit_where_the_server_lacks_it_is_a_clear_error(es_url: str, loaded: str) -> None:
    # osmem implements OpenSearch's PIT API only, not Elasticsearch's `POST /<index>/_pit`:
    # the ES client's PIT path fails loudly instead of returning a partial extraction.
    store = open_store(es_url, "elasticsearch")
    with pytest.raises(
        EngineError, match=r"HTTP 400: no handler found for uri \[/user_logs_test/_pit\]"
    ):
        store.extract(loaded, pagination="pit")
    store.close()


@pytest.mark.parametrize("backend", ["elasticsearch", "opensearch"])
def test_time_range_filter(es_url: str, es_data: Path, loaded: str, backend: str) -> None:
    lo, hi = dt.datetime(2025, 2, 1), dt.datetime(2025, 3, 1)
    store = open_store(es_url, backend)
    got = store.extract(loaded, lo, hi)
    store.close()
    want = read_search_logs(DataDir(es_data), lo, hi)
    total = read_search_logs(DataDir(es_data)).num_rows
    assert 0 < want.num_rows < total
    assert _canon(got) == _canon(want)
    assert all(lo <= r["timestamp"] < hi for r in got.to_pylist())


def test_reload_is_idempotent_and_failures_are_counted(
    es_url: str, es_data: Path, loaded: str
) -> None:
    rows = DataDir(es_data).manifest().rows("search_logs")
    r = run_inproc(
        "--json",
        "--data",
        str(es_data),
        "es",
        "load",
        "--es-url",
        es_url,
        "--index",
        loaded,
        "--es-backend",
        "elasticsearch",
    )
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["count"] == rows  # same _ids: overwritten, not duplicated
    store = open_store(es_url, "opensearch")
    store.create_index("bad_logs", LOGS_MAPPING, replace=True)
    good = {
        "user_id": 1,
        "search_query": "x",
        "clicked_product_ids": [],
        "timestamp": "2025-01-01T00:00:00",
    }
    report = store.bulk(
        [
            {"_index": "bad_logs", "_id": "1", "_source": good},
            # user_id is a keyword (text ids like "abc123" are fine): a bad date fails instead
            {"_index": "bad_logs", "_id": "2", "_source": {**good, "timestamp": "not a date"}},
            {"_index": "bad_logs", "_id": "3", "_source": {**good, "unexpected": 1}},
        ]
    )
    store.close()
    assert (report.ok, report.failed) == (1, 2)
    assert report.errors[0].startswith("2: ") and report.errors[1].startswith("3: ")


def test_segment_from_es_push_alias_swap_and_tag(es_url: str, es_data: Path, loaded: str) -> None:
    base = [
        "--json",
        "--data",
        str(es_data),
        "segment",
        "--es-url",
        es_url,
        "--es-index",
        loaded,
        "--embedder",
        "local",
        "--push-es",
        "--segments-index",
        "segs_test",
        "--tag-logs",
    ]
    r = run_inproc(*base, "--es-backend", "elasticsearch")
    assert r.code == 0, r.stderr
    first = json.loads(r.stdout)
    assert first["source"] == "es" and first["es_backend"] == "elasticsearch"
    assert first["quality"]["ari"] == 1.0 and first["embedded_now"] == 0
    index = f"segs_test-{first['run_id']}"
    assert first["push"] == {
        "index": index,
        "alias": "segs_test",
        "documents": 300,
        "removed_indexes": [],
    }
    seg = {
        r["user_id"]: r["segment"]
        for r in pq.read_table(es_data / "segments" / "segments.parquet").to_pylist()
    }

    store = open_store(es_url, "opensearch")
    c = store.client
    assert list(c.indices.get_alias(name="segs_test")) == [index]
    assert store.count("segs_test") == 300
    doc = c.get(index="segs_test", id="7")["_source"]
    assert doc["user_id"] == 7 and doc["segment"] == seg[7]
    assert doc["run_id"] == first["run_id"] and doc["model"] == first["model"]
    assert doc["top_terms"] and 0 <= doc["score"] <= 1
    # every log document carries its user's segment
    logs = read_search_logs(DataDir(es_data)).to_pylist()
    budget_rows = sum(1 for x in logs if seg[x["user_id"]] == "budget_deals")
    assert store.count(loaded, {"term": {"segment": "budget_deals"}}) == budget_rows > 0
    assert store.count(loaded, {"exists": {"field": "segment"}}) == len(logs)

    # same inputs again (other client library): same run id, same index, nothing removed
    r = run_inproc(*base, "--es-backend", "opensearch")
    assert r.code == 0, r.stderr
    again = json.loads(r.stdout)
    assert again["run_id"] == first["run_id"] and again["push"] == first["push"]
    assert list(c.indices.get_alias(name="segs_test")) == [index]
    assert store.count("segs_test") == 300

    # other inputs (seed): a new versioned index, alias swapped, the old one cleaned up
    r = run_inproc(*base, "--seed", "7")
    assert r.code == 0, r.stderr
    third = json.loads(r.stdout)
    new_index = f"segs_test-{third['run_id']}"
    assert third["run_id"] != first["run_id"]
    assert third["push"]["removed_indexes"] == [index]
    assert list(c.indices.get_alias(name="segs_test")) == [new_index]
    assert not c.indices.exists(index=index)
    store.close()


def test_time_range_through_cli(es_url: str, es_data: Path, loaded: str) -> None:
    r = run_inproc(
        "--json",
        "--data",
        str(es_data),
        "segment",
        "--es-url",
        es_url,
        "--index",  # the name `es load` uses too (--es-index stays as a hidden alias)
        loaded,
        "--embedder",
        "local",
        "--from",
        "2025-02",
        "--to",
        "2025-02",  # inclusive: the whole of February, as in every command
        "--k",
        "6",
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    want = read_search_logs(DataDir(es_data), dt.datetime(2025, 2, 1), dt.datetime(2025, 3, 1))
    assert doc["log_rows"] == want.num_rows


def test_unreachable_cluster_is_one_line(es_data: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    for args in (["segment", "--es-url", url], ["es", "load", "--es-url", url]):
        r = run_cli("--data", str(es_data), *args)
        assert r.code == 3, r.stderr
        assert r.stderr.startswith(f"error: cannot reach {url}") and r.stderr.count("\n") == 1
    r = run_cli(
        "--data",
        str(es_data),
        "segment",
        "--es-url",
        "http://x",
        "--source",
        "parquet",
        "--tag-logs",
    )
    assert r.code == 2 and "--tag-logs goes with --push-es" in r.stderr


def test_missing_index_is_clear(es_url: str, es_data: Path) -> None:
    r = run_cli("--data", str(es_data), "segment", "--es-url", es_url, "--es-index", "nope")
    assert r.code == 2
    assert (
        r.stderr.strip() == f"error: index nope not found at {es_url}: load it with `ducky es load`"
    )
