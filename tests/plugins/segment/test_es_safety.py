"""Pushes that cannot lose the live alias, and client errors as one line, against a real
osmem-server process; string user ids ("p01", like seed 000's "abc123") end to end."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ducky.errors import DuckyError, EngineError
from ducky.plugins.segment import outputs, pipeline
from ducky.plugins.segment.store import open_store
from tests.fixtures.es import _free_port
from tests.plugins.segment import handwritten_eval

pytestmark = [pytest.mark.es, pytest.mark.model]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory, local_model: object) -> object:
    return handwritten_eval.run(tmp_path_factory.mktemp("hand-es") / "data", k=None, seed=42)


def _broken(res: pipeline.SegmentationResult) -> pipeline.SegmentationResult:
    """The same run with documents the strict mapping rejects (confidence not a number)."""
    bad = copy.deepcopy(res)
    for s in bad.segments:
        s.confidence = "not a number"  # type: ignore[assignment]
    return bad


@pytest.mark.parametrize("backend", ["elasticsearch", "opensearch"])
def test_failed_repush_keeps_the_live_alias(
    es_url: str, result: pipeline.SegmentationResult, backend: str
) -> None:
    alias = f"safe_{backend}"
    store = open_store(es_url, backend)
    try:
        first = outputs.push_segments(store, result, alias)
        live = first["index"]
        assert store.alias_targets(alias) == [live] and store.count(alias) == 66
        doc = store.client.get(index=alias, id="p01")["_source"]
        assert doc["user_id"] == "p01"  # text ids stay text
        assert doc["segment"].startswith("pets") and doc["segment_kind"] == "label"
        assert 0 < doc["confidence"] <= 1 and "support: pets" in doc["evidence"]
        assert doc["representative_queries"]

        # the same run id again, failing: nothing deleted first, alias and index intact
        with pytest.raises(EngineError, match=r"index .* kept: it is live, alias .* unchanged"):
            outputs.push_segments(store, _broken(result), alias)
        assert store.alias_targets(alias) == [live] and store.count(alias) == 66

        # a new run id failing: its new index removed, the alias still on the live one
        other = _broken(result)
        other.run_id = "feedfacecafe"
        with pytest.raises(EngineError, match=r"index safe_\w+-feedfacecafe removed"):
            outputs.push_segments(store, other, alias)
        assert not store.exists(f"{alias}-feedfacecafe")
        assert store.alias_targets(alias) == [live] and store.count(alias) == 66

        # a good re-push of the same run: in place, idempotent
        again = outputs.push_segments(store, result, alias)
        assert again["index"] == live and again["removed_indexes"] == []
        assert store.count(alias) == 66
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["elasticsearch", "opensearch"])
def test_server_gone_mid_push_is_one_line(
    result: pipeline.SegmentationResult, backend: str, tmp_path: Path
) -> None:
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False, addr=f"127.0.0.1:{_free_port()}")
    store = open_store(server.url, backend)
    killed = False

    def kill_after_first_doc(_: int) -> None:
        nonlocal killed
        if not killed:
            killed = True
            server.process.kill()
            server.process.wait()

    try:
        with pytest.raises(DuckyError) as err:
            outputs.push_segments(store, result, "gone", progress=kill_after_first_doc)
        msg = str(err.value)
        assert killed and "\n" not in msg and server.url.split("//")[1] in msg
    finally:
        store.close()
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


@pytest.mark.parametrize("backend", ["elasticsearch", "opensearch"])
def test_seed_shaped_documents_extract_unchanged(es_url: str, backend: str) -> None:
    """Seed 000's shape: text user ids and zoned ("Z") timestamps come back as text ids and
    naive UTC times; numbers are never forced on the ids."""
    import datetime as dt

    from ducky.plugins.segment.store.queries import LOGS_MAPPING

    store = open_store(es_url, backend)
    index = f"seed_shaped_{backend}"
    try:
        store.create_index(index, LOGS_MAPPING, replace=True)
        docs = [
            ("abc123", "dog food", "2025-01-01T10:00:00Z"),
            ("Z", "cat litter", "2025-01-01T12:30:00.250Z"),
            ("007", "dog leash", "2025-01-02T00:00:00+02:00"),
        ]
        rep = store.bulk(
            {
                "_index": index,
                "_id": str(i),
                "_source": {
                    "user_id": u,
                    "search_query": q,
                    "clicked_product_ids": [],
                    "timestamp": ts,
                },
            }
            for i, (u, q, ts) in enumerate(docs)
        )
        assert rep.failed == 0
        store.refresh(index)
        t = store.extract(index).sort_by("user_id")
    finally:
        store.close()
    assert t["user_id"].to_pylist() == ["007", "Z", "abc123"]
    assert t["timestamp"].to_pylist() == [
        dt.datetime(2025, 1, 1, 22, 0),
        dt.datetime(2025, 1, 1, 12, 30, 0, 250000),
        dt.datetime(2025, 1, 1, 10, 0),
    ]
