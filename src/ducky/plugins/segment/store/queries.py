"""Request bodies shared by the Elasticsearch and OpenSearch backends (both speak this DSL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

LOGS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        # keyword, not long: ids may be text ("abc123"); numbers stay numbers in _source
        "user_id": {"type": "keyword"},
        "search_query": {
            "type": "text",
            "fields": {"raw": {"type": "keyword", "ignore_above": 256}},
        },
        "clicked_product_ids": {"type": "long"},
        "timestamp": {"type": "date", "format": "strict_date_optional_time"},
        "segment": {"type": "keyword"},
    },
}

SEGMENTS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        # keyword: ids may be text ("abc123"); a numeric id is kept as the number in _source
        "user_id": {"type": "keyword"},
        "segment": {"type": "keyword"},
        "segment_kind": {"type": "keyword"},
        "confidence": {"type": "float"},
        "evidence": {"type": "text"},
        "representative_queries": {"type": "keyword"},
        "score": {"type": "float"},
        "top_terms": {"type": "keyword"},
        "run_id": {"type": "keyword"},
        "model": {"type": "keyword"},
    },
}

LOG_FIELDS = ["user_id", "search_query", "clicked_product_ids", "timestamp"]


def iso(ts: dt.datetime) -> str:
    """Naive UTC timestamps as ISO strings the `strict_date_optional_time` format reads as UTC."""
    return ts.isoformat(timespec="microseconds")


def time_filter(date_from: dt.datetime | None, date_to: dt.datetime | None) -> dict[str, Any]:
    """`[from, to)` on `timestamp`, or everything."""
    if date_from is None and date_to is None:
        return {"match_all": {}}
    rng: dict[str, str] = {}
    if date_from is not None:
        rng["gte"] = iso(date_from)
    if date_to is not None:
        rng["lt"] = iso(date_to)
    return {"range": {"timestamp": rng}}


def scroll_body(query: dict[str, Any], fields: list[str] | None = None) -> dict[str, Any]:
    # `_doc` order is the cheapest for a scroll: no scoring, no sorting.
    return {"query": query, "_source": fields or LOG_FIELDS, "sort": ["_doc"]}


def search_after_body(
    query: dict[str, Any], size: int, after: list[Any] | None, fields: list[str] | None = None
) -> dict[str, Any]:
    # With a point in time, `_shard_doc` is the implicit cheap tiebreaker on Elasticsearch; an
    # explicit `_id`-free sort keeps the body valid on OpenSearch too.
    body: dict[str, Any] = {
        "query": query,
        "_source": fields or LOG_FIELDS,
        "size": size,
        "sort": [{"_shard_doc": "asc"}],
        "track_total_hits": False,
    }
    if after is not None:
        body["search_after"] = after
    return body
