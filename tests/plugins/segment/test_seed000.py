"""Seed 000's flow end to end: documents shaped like the seed's sample
(`{"user_id": "abc123", "search_query": ..., "clicked_product_ids": ["p01"],
"timestamp": "2025-04-01T12:30:00Z"}`), indexed as-is (no mapping, dynamic types) in the real
OpenSearch-compatible server, segmented with `ducky segment --push-es --tag-logs`, and read
back: the ids come back unchanged as strings, every log document carries a `segment` tag.
The queries are the hand-written histories (tests/plugins/segment/handwritten.py), not generator
output."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ducky.plugins.segment.store import open_store
from tests.plugins.segment.handwritten import USERS
from tests.plugins.segment.inproc import run_inproc

pytestmark = [pytest.mark.es, pytest.mark.model]

INDEX = "seed000_logs"


def _documents() -> list[dict[str, Any]]:
    """One document per search, as seed 000 shows them: string ids, string product ids, `Z`."""
    docs: list[dict[str, Any]] = []
    base = dt.datetime(2025, 4, 1, 12, 30)
    for i, (uid, _, queries) in enumerate(USERS):
        # the seed's own sample user stands in for the first hand-written (pets) user
        user = "abc123" if i == 0 else uid
        for j, q in enumerate(queries):
            ts = base + dt.timedelta(hours=i * 5 + j)
            docs.append(
                {
                    "user_id": user,
                    "search_query": q,
                    "clicked_product_ids": [f"p{(i + j) % 40 + 1:02d}"],
                    "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
    return docs


def test_seed000_documents_segment_and_come_back_with_string_ids(
    es_url: str, tmp_path: Path
) -> None:
    docs = _documents()
    assert docs[0] == {
        "user_id": "abc123",
        "search_query": "grain free dog food",
        "clicked_product_ids": ["p01"],
        "timestamp": "2025-04-01T12:30:00Z",
    }
    store = open_store(es_url, "opensearch")
    c = store.client
    if c.indices.exists(index=INDEX):
        c.indices.delete(index=INDEX)
    # indexed as-is: no mapping sent, the server types the fields itself
    body = "".join(
        json.dumps({"index": {"_index": INDEX, "_id": str(n)}}) + "\n" + json.dumps(d) + "\n"
        for n, d in enumerate(docs)
    )
    resp = c.bulk(body=body, refresh=True)
    assert not resp["errors"]
    assert store.count(INDEX) == len(docs)

    data = tmp_path / "data"
    data.mkdir()
    r = run_inproc(
        "--json",
        "--data",
        str(data),
        "segment",
        "--es-url",
        es_url,
        "--es-index",
        INDEX,
        "--embedder",
        "local",
        "--push-es",
        "--segments-index",
        "seed000_segments",
        "--tag-logs",
    )
    assert r.code == 0, r.stderr
    out = json.loads(r.stdout)
    n_users = len(USERS)
    assert out["source"] == "es" and out["push"]["documents"] == n_users

    # the segment document of the seed's user: its id unchanged, a string, and a segment
    hits = c.search(
        index="seed000_segments", body={"query": {"term": {"user_id": "abc123"}}, "size": 5}
    )["hits"]["hits"]
    assert len(hits) == 1
    seg_doc = hits[0]["_source"]
    assert seg_doc["user_id"] == "abc123" and isinstance(seg_doc["user_id"], str)
    assert isinstance(seg_doc["segment"], str) and seg_doc["segment"]
    ids = {
        h["_source"]["user_id"]
        for h in c.search(index="seed000_segments", body={"size": 1000})["hits"]["hits"]
    }
    assert ids == {"abc123"} | {u for u, _, _ in USERS[1:]}

    # every log document is tagged; the seed user's logs carry that user's segment
    assert store.count(INDEX, {"exists": {"field": "segment"}}) == len(docs)
    own = c.search(index=INDEX, body={"query": {"term": {"user_id": "abc123"}}, "size": 50})
    logs = [h["_source"] for h in own["hits"]["hits"]]
    assert len(logs) == len(USERS[0][2])
    for d in logs:
        assert d["user_id"] == "abc123" and d["segment"] == seg_doc["segment"]
        assert d["timestamp"].endswith("Z") and d["clicked_product_ids"][0].startswith("p")
    store.close()
