"""Fuzz the running API from its own OpenAPI schema (schemathesis): never a server error.

Positive cases follow the schema (so they reach the compiler and the engine, and must answer
200 or a clear 4xx); negative cases break it (wrong types, missing fields) and must get a 4xx.
The number of examples is bounded (DUCKY_FUZZ_EXAMPLES, default 20 per operation and mode) so
the file stays within a few seconds per endpoint; every response also goes through
schemathesis's response checks (status codes, content types, headers and bodies as documented,
no 5xx, negative data rejected).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Fuzzes a running HTTP server (the api_url session fixture) with hundreds of requests.
pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("DUCKY_FUZZ_EXAMPLES") or 20)


def _all_checks() -> list[Any]:
    """Every schemathesis check that applies to a stateless API without auth."""
    from schemathesis import checks

    return [
        checks.not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_headers_conformance,
        checks.response_schema_conformance,
        checks.negative_data_rejection,
        checks.missing_required_header,
    ]


@pytest.fixture(scope="module")
def api_schema(api_url: str) -> Any:
    import schemathesis

    return schemathesis.openapi.from_url(f"{api_url}/openapi.json")


_CLIENTS: dict[str, Any] = {}


def _client(base_url: str) -> Any:
    """One keep-alive client per server (hypothesis tests cannot take function fixtures)."""
    import httpx

    if base_url not in _CLIENTS:
        _CLIENTS[base_url] = httpx.Client(base_url=base_url, timeout=60)
    return _CLIENTS[base_url]


def _operations(api_schema: Any) -> dict[str, Any]:
    ops = {}
    for result in api_schema.get_all_operations():
        op = result.ok()
        ops[f"{op.method.upper()} {op.path}"] = op
    return ops


def _check(case: Any, api_url: str) -> int:
    response = case.call(base_url=api_url, timeout=60)
    assert response.status_code < 500, (case.body, response.status_code, response.text[:500])
    case.validate_response(response, checks=_all_checks())
    if response.status_code >= 400 and response.status_code != 404:
        body = response.json()
        assert body.get("error") or body.get("detail"), body  # a clear message, not empty
    return int(response.status_code)


@pytest.mark.parametrize(
    ("operation", "mode"),
    [
        ("POST /audiences/query", "positive"),
        ("POST /audiences/query", "negative"),
        ("POST /audiences/explain", "positive"),
        ("POST /audiences/explain", "negative"),
        ("GET /health", "positive"),  # no input to break: no negative mode
        ("GET /audiences/examples", "positive"),
        ("GET /audiences/schema", "positive"),
    ],
)
def test_no_server_errors(api_schema: Any, api_url: str, operation: str, mode: str) -> None:
    from schemathesis import GenerationMode

    ops = _operations(api_schema)
    assert {"POST /audiences/query", "GET /audiences/examples", "GET /audiences/schema"} <= set(ops)
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    strategy = ops[operation].as_strategy(generation_mode=generation)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        statuses.append(_check(case, api_url))

    statuses: list[int] = []
    run()
    if mode == "positive":
        assert 200 in statuses, statuses  # schema-valid specs do reach the engine


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    value=st.one_of(
        st.text(max_size=60),
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
        st.none(),
        st.lists(st.text(max_size=10), max_size=5),
    ),
    column=st.sampled_from(["name", "age", "signup_date", "location", "user_id"]),
    op=st.sampled_from(["eq", "ne", "lt", "between", "in", "contains", "starts_with", "like"]),
)
def test_any_value_in_any_attribute_is_4xx_or_a_literal(
    api_url: str, value: Any, column: str, op: str
) -> None:
    """Arbitrary text (quotes, backslashes, wildcards, unicode) never breaks the SQL."""
    spec = {"where": {"type": "attribute", "column": column, "op": op, "value": value}}
    r = _client(api_url).post("/audiences/query", json=spec)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["problems"][0]["path"].startswith("where")
