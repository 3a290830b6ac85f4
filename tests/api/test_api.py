"""The audience API through real HTTP: uvicorn on loopback (tests/fixtures/api_server.py), httpx."""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

import httpx
import pytest

from tests.audience.test_audience_spec import INJECTION, SEED_REQUEST_EXAMPLE, SEED_SPEC_EXAMPLE


@pytest.fixture(scope="module")
def client(api_url: str) -> httpx.Client:
    return httpx.Client(base_url=api_url, timeout=30)


def post(client: httpx.Client, path: str, body: Any) -> httpx.Response:
    return client.post(path, json=body)


def test_health(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() | {"version": None} == {
        "status": "ok",
        "engine": "duckdb",
        "dialect": "duckdb",
        "version": None,
        "end_of_data": "2025-03-10T17:00:00Z",  # zoned: the API says UTC
    }


def test_seed_segments_over_http(client: httpx.Client) -> None:
    examples = {e["name"]: e for e in client.get("/audiences/examples").json()}
    assert {
        "age_25_34",
        "california_login",
        "premium_recent_purchasers",
        "cart_abandoners",
        "mobile_engaged_browsers",
    } <= set(examples)
    r = post(client, "/audiences/query", examples["age_25_34"]["spec"])
    assert r.status_code == 200
    body = r.json()
    assert (body["user_ids"], body["total_count"], body["legacy"]) == ([1, 3, 4], 3, False)
    assert [u["age"] for u in body["users"]] == [29, 25, 34]
    r = post(client, "/audiences/query", examples["california_login"]["spec"])
    assert r.json()["user_ids"] == [1, 4]


def test_every_example_runs(client: httpx.Client) -> None:
    for ex in client.get("/audiences/examples").json():
        r = post(client, "/audiences/query", ex["spec"])
        assert r.status_code == 200, (ex["name"], r.text)
        e = post(client, "/audiences/explain", ex["spec"])
        assert e.status_code == 200 and e.json()["total_count"] == r.json()["total_count"]


def test_seed_payload_unchanged(client: httpx.Client) -> None:
    r = post(client, "/audiences/query", SEED_REQUEST_EXAMPLE)
    body = r.json()
    assert (r.status_code, body["user_ids"], body["total_count"], body["legacy"]) == (
        200,
        [1, 4],
        2,
        True,
    )
    assert body["spec"]["where"]["type"] == "all"  # the translation is shown
    assert post(client, "/audiences/query", SEED_SPEC_EXAMPLE).json()["user_ids"] == [2]


def test_pagination_and_count_only(client: httpx.Client) -> None:
    seen, cursor = [], None
    while True:
        body: dict[str, Any] = {"limit": 4}
        if cursor:
            body["cursor"] = cursor
        page = post(client, "/audiences/query", body).json()
        assert page["total_count"] == 6 and page["count"] == len(page["user_ids"])
        seen += page["user_ids"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [1, 2, 3, 4, 5, 6]
    r = post(client, "/audiences/query", {"count_only": True, **_where_age()})
    assert (r.json()["total_count"], r.json()["users"]) == (3, [])


def _where_age() -> dict[str, Any]:
    return {"where": {"type": "attribute", "column": "age", "op": "between", "value": [25, 34]}}


def test_explain_counts_per_node(client: httpx.Client) -> None:
    spec = {
        "where": {
            "type": "any",
            "conditions": [
                {"type": "attribute", "column": "location", "op": "eq", "value": "California"},
                {"type": "not", "condition": {"type": "event", "event": "login"}},
            ],
        }
    }
    body = post(client, "/audiences/explain", spec).json()
    counts = {n["path"]: n["users"] for n in body["nodes"]}
    # California: 1, 4; never logged in: 3, 5 -> any: 1, 3, 4, 5
    assert counts == {
        "where": 4,
        "where.conditions[0]": 2,
        "where.conditions[1]": 2,
        "where.conditions[1].condition": 4,
    }
    assert body["sql"].startswith("SELECT") and body["dialect"] == "duckdb"


@pytest.mark.parametrize(
    ("content", "status", "needle"),
    [
        (b'{"where": ', 400, "malformed JSON"),
        (b"not json at all", 400, "malformed JSON"),
        (b"\xff\xfe\x00", 400, "malformed JSON"),
        (b"[1, 2]", 422, "expected a JSON object"),
        (
            b'{"where": {"type": "attribute", "column": "age", "op": "eq", "value": "x"}}',
            422,
            "where.value: age is an integer column",
        ),
        (b'{"limit": "many"}', 422, "limit"),
        (b"[" * 70_000, 413, "limit"),
        (
            b'{"where":' + b'{"type":"not","condition":' * 20 + b"{}" + b"}" * 21,
            422,
            "where" + ".condition" * 10 + ": groups are nested deeper than 10",
        ),
        (
            b'{"where":' + b'{"type":"not","condition":' * 2000 + b"{}" + b"}" * 2001,
            400,
            "nested too deeply",
        ),
    ],
)
def test_bad_requests_get_clear_4xx(
    client: httpx.Client, content: bytes, status: int, needle: str
) -> None:
    for path in ("/audiences/query", "/audiences/explain"):
        r = client.post(path, content=content, headers={"content-type": "application/json"})
        assert r.status_code == status, r.text
        body = r.json()
        assert needle in body["error"], body
        assert "\n" not in body["error"]


def test_huge_body_without_content_length(client: httpx.Client) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024

    r = client.post("/audiences/query", content=chunks())
    assert r.status_code == 413


def test_problems_list_path_and_message(client: httpx.Client) -> None:
    spec = {
        "where": {
            "type": "all",
            "conditions": [
                {"type": "attribute", "column": "shoe", "op": "eq", "value": 1},
                {"type": "event", "event": " "},
            ],
        }
    }
    r = post(client, "/audiences/query", spec)
    assert r.status_code == 422
    problems = {p["path"]: p["message"] for p in r.json()["problems"]}
    assert set(problems) == {"where.conditions[0].column", "where.conditions[1].event"}
    # any other name is a custom event (issue 15); only an empty one is refused
    assert "empty event name" in problems["where.conditions[1].event"]


def _fields_with(value: str) -> list[dict[str, Any]]:
    """The injection string in every string-valued field of the spec."""
    return [
        {"where": {"type": "attribute", "column": "name", "op": "eq", "value": value}},
        {"where": {"type": "attribute", "column": "location", "op": "contains", "value": value}},
        {"where": {"type": "attribute", "column": "plan", "op": "starts_with", "value": value}},
        {"where": {"type": "attribute", "column": "gender", "op": "in", "value": [value]}},
        {"where": {"type": "event", "event": "viewed", "category": value}},
        {
            "where": {
                "type": "first_time",
                "event": "viewed",
                "category": value,
                "window": {"last_days": 5},
            }
        },
        {"where": {"type": "cart_abandonment", "category": value}},
        {"user_filters": [{"field": "name", "operator": "eq", "value": value}]},
        {"user_filters": [{"field": "name", "operator": "like", "value": value}]},
        # event names are open (custom events, issue 15): a literal like any value
        {"where": {"type": "event", "event": value}},
        {"event_filters": [{"event_name": value}]},
    ]


@pytest.mark.parametrize("spec", _fields_with(INJECTION))
def test_injection_values_match_nothing_and_change_nothing(
    client: httpx.Client, spec: dict[str, Any]
) -> None:
    r = post(client, "/audiences/query", spec)
    names_event = spec.get("where", {}).get("event") == INJECTION or any(
        f.get("event_name") == INJECTION for f in spec.get("event_filters", [])
    )
    if names_event:
        # An event name the data lacks is one error quoting it as a literal (a misspelt name
        # would select nobody, or everybody under not_performed).
        assert r.status_code == 422, r.text
        assert r.json()["error"].startswith(f"no event named {INJECTION!r} in the data")
    else:
        assert r.status_code == 200 and r.json()["user_ids"] == []
    assert post(client, "/audiences/query", {"count_only": True}).json()["total_count"] == 6


@pytest.mark.parametrize(
    "spec",
    [
        {"where": {"type": "attribute", "column": INJECTION, "op": "eq", "value": "x"}},
        {"where": {"type": "attribute", "column": "age", "op": INJECTION, "value": 1}},
        {"where": {"type": INJECTION}},
        {"cursor": INJECTION},
        {"as_of": INJECTION},
        {"user_filters": [{"field": INJECTION, "operator": "eq", "value": 1}]},
        {"user_filters": [{"field": "age", "operator": INJECTION, "value": 1}]},
        {"logic_operator": INJECTION, "user_filters": []},
        {INJECTION: 1},
    ],
)
def test_injection_names_are_rejected(client: httpx.Client, spec: dict[str, Any]) -> None:
    r = post(client, "/audiences/query", spec)
    assert r.status_code == 422, r.text
    assert r.json()["problems"]


def test_concurrent_requests_share_one_connection(client: httpx.Client) -> None:
    """Many requests at once on the one engine connection: all answer correctly."""
    spec = json.dumps(SEED_REQUEST_EXAMPLE)

    def one(_: int) -> list[int]:
        r = client.post("/audiences/query", content=spec)
        return list(r.json()["user_ids"])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(32)))
    assert results == [[1, 4]] * 32


def test_schema_and_openapi(client: httpx.Client) -> None:
    from ducky.audience import json_schema

    assert client.get("/audiences/schema").json() == json_schema()
    api = client.get("/openapi.json").json()
    body = api["paths"]["/audiences/query"]["post"]["requestBody"]["content"]["application/json"]
    assert {s["$ref"] for s in body["schema"]["anyOf"]} == {
        "#/components/schemas/AudienceSpec",
        "#/components/schemas/LegacyPayload",
    }
    assert "AttributeCondition" in api["components"]["schemas"]
    assert client.get("/docs").status_code == 200
