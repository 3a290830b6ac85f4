"""The API's types are strict (no silent coercion) and its instants carry a zone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

VIEWED = {"type": "event", "event": "viewed", "op": "gte", "count": 1}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"limit": True}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"limit": 5.0}, "limit"),
        ({"where": VIEWED | {"count": True}}, "where.count"),
        ({"where": VIEWED | {"price": {"max": False}}}, "where.price.max"),
        ({"where": VIEWED | {"price": {"min": "1"}}}, "where.price.min"),
        ({"count_only": "yes"}, "count_only"),
    ],
)
def test_coercions_are_rejected(api_url: str, body: dict[str, Any], path: str) -> None:
    r = httpx.post(api_url + "/audiences/query", json=body, timeout=30)
    assert r.status_code == 422, r.text
    assert [p["path"] for p in r.json()["problems"]] == [path]


def test_instants_are_zoned(api_url: str) -> None:
    health = httpx.get(api_url + "/health", timeout=30).json()
    assert health["end_of_data"].endswith("Z")
    page = httpx.post(
        api_url + "/audiences/query",
        json={"as_of": "2025-03-01T12:00:00+02:00", "count_only": True},
        timeout=30,
    ).json()
    assert page["as_of"] == "2025-03-01T10:00:00Z"  # converted to UTC, and says so
    schema = httpx.get(api_url + "/openapi.json", timeout=30).json()["components"]["schemas"]
    assert schema["HealthOut"]["properties"]["end_of_data"]["anyOf"][0]["format"] == "date-time"
