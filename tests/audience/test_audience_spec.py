"""The spec: validation messages (path + reason), the seed's payload, known answers, injection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ducky.audience import SpecError, json_schema, parse_json, parse_payload
from ducky.audience.service import AudienceService
from ducky.audience.spec import MAX_DEPTH

ROOT = Path(__file__).resolve().parents[2]
INJECTION = "x'; DROP TABLE users; --"

# The seed's payloads, copied unchanged from shared/seeds/004-duckmart-segmentation.md.
SEED_SPEC_EXAMPLE = {
    "user_filters": [{"field": "age", "operator": "gte", "value": 25}],
    "event_filters": [
        {"event_name": "LOGIN", "operator": "gte", "count": 1, "time_range_days": 30}
    ],
    "logic_operator": "AND",
    "limit": 1000,
}
SEED_REQUEST_EXAMPLE = {
    "user_filters": [{"field": "location", "operator": "eq", "value": "California"}],
    "event_filters": [{"event_name": "LOGIN", "operator": "gte", "count": 1}],
    "logic_operator": "AND",
}


@pytest.fixture(scope="module")
def service(handmade_dir: Path) -> Iterator[AudienceService]:
    from ducky.datasets import DataDir
    from ducky.engines import open_engine

    with open_engine("duckdb", DataDir(handmade_dir)) as eng:
        eng.load()
        yield AudienceService(eng)


def ids(service: AudienceService, payload: dict[str, Any]) -> list[int]:
    return service.query(parse_payload(payload).spec).user_ids


# -- known answers on the hand-made data --------------------------------------------------------
def test_seed_required_segments(service: AudienceService) -> None:
    from ducky.audience.examples import EXAMPLES

    # ages 29, 25, 34 are in; 35, 22, 41 are out (both bounds inclusive)
    assert ids(service, EXAMPLES["age_25_34"]["spec"]) == [1, 3, 4]
    # California: users 1 and 4, both logged in
    assert ids(service, EXAMPLES["california_login"]["spec"]) == [1, 4]


def test_seed_payloads_accepted_unchanged(service: AudienceService) -> None:
    parsed = parse_payload(SEED_REQUEST_EXAMPLE)
    assert parsed.legacy
    assert ids(service, SEED_REQUEST_EXAMPLE) == [1, 4]
    # age >= 25 and a login in the 30 days before the last event (2025-03-10 17:00):
    # only user 2 (login 2025-02-25); user 6 logged in on 2025-03-01 but is 22.
    assert ids(service, SEED_SPEC_EXAMPLE) == [2]
    orred = {**SEED_SPEC_EXAMPLE, "logic_operator": "OR"}
    assert ids(service, orred) == [1, 2, 3, 4, 5, 6]


def test_seed_field_and_event_names(service: AudienceService) -> None:
    payload = {
        "user_filters": [
            {"field": "subscription_plan", "operator": "eq", "value": "premium"},
            {"field": "device_type", "operator": "in", "value": ["mobile", "desktop"]},
        ],
        "event_filters": [{"event_name": "PURCHASE_MADE", "operator": "gte", "count": 2}],
    }
    assert ids(service, payload) == [1]  # premium: 1 (mobile, 2 purchases), 5 (1 purchase)
    # values keep their case (issue 15): this data stores "premium", so "Premium" is no match
    cased = {"user_filters": [{"field": "subscription_plan", "operator": "eq", "value": "Premium"}]}
    assert ids(service, cased) == []
    either = {
        "user_filters": [
            {"field": "subscription_plan", "operator": "in", "value": ["Premium", "premium"]}
        ]
    }
    assert ids(service, either) == [1, 5]
    carts = {"event_filters": [{"event_name": "ADDED_TO_CART", "operator": "eq", "count": 0}]}
    assert ids(service, carts) == [2, 3, 4, 5, 6]
    like = {"user_filters": [{"field": "location", "operator": "like", "value": "%forn%"}]}
    assert ids(service, like) == [1, 4]


def test_spec_examples_run(service: AudienceService) -> None:
    from ducky.audience.examples import EXAMPLES

    results = {name: ids(service, ex["spec"]) for name, ex in EXAMPLES.items()}
    # premium (1, 5): only user 5 purchased in the 30 days before 2025-03-10 17:00
    assert results["premium_recent_purchasers"] == [5]
    assert results["legacy_california_login"] == [1, 4]
    # nobody on the hand-made data leaves a cart in the last 30 days
    assert results["cart_abandoners"] == []


def test_cart_abandonment_known(service: AudienceService) -> None:
    # user 1 added product 10 to the cart and bought it a minute later: not abandoned
    node = {"type": "cart_abandonment"}
    assert ids(service, {"where": node}) == []
    # ...unless the purchase is later than the delay allows
    quick = {"type": "cart_abandonment", "within_days": 0.0001}  # ~8.6 s
    assert ids(service, {"where": quick}) == [1]
    seq = {
        "type": "sequence",
        "first": {"event": "add-to-cart"},
        "then": {"event": "purchased"},
        "within_days": 1,
        "same_product": True,
    }
    assert ids(service, {"where": seq}) == [1]


# -- injection: values are literals, never SQL ----------------------------------------------
@pytest.mark.parametrize(
    "node",
    [
        {"type": "attribute", "column": "name", "op": "eq", "value": INJECTION},
        {"type": "attribute", "column": "name", "op": "contains", "value": INJECTION},
        {"type": "attribute", "column": "name", "op": "starts_with", "value": INJECTION},
        {"type": "attribute", "column": "name", "op": "like", "value": INJECTION},
        {"type": "attribute", "column": "location", "op": "in", "value": [INJECTION, "a\\'"]},
        {"type": "event", "event": "purchased", "category": INJECTION},
        {"type": "cart_abandonment", "category": "\\'; DROP TABLE users; --"},
    ],
)
def test_injection_strings_are_literals(service: AudienceService, node: dict[str, Any]) -> None:
    assert ids(service, {"where": node}) == []
    assert service.count(parse_payload({}).spec) == 6  # the users table is intact


def test_injection_as_a_custom_event_name_is_a_literal(service: AudienceService) -> None:
    # A custom event name (issue 15) is a literal in the compiled SQL (which matches no one)
    # and in the probe that finds the data has no such event (one error quoting it).
    from ducky.audience import compiler
    from ducky.errors import UserError

    spec = parse_payload({"where": {"type": "event", "event": INJECTION}}).spec
    sql = compiler.render(
        compiler.audience_select(spec, service.end_of_data()), service.engine.sql_dialect()
    )
    assert service.engine.run(sql).num_rows == 0
    with pytest.raises(UserError, match=r"^no event named .* in the data"):
        service.query(spec)
    assert service.count(parse_payload({}).spec) == 6  # the users table is intact


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        (
            {"where": {"type": "attribute", "column": INJECTION, "op": "eq", "value": 1}},
            "where.column",
        ),
        ({"as_of": INJECTION}, "as_of"),
        ({"where": {"type": INJECTION}}, "where"),
    ],
)
def test_injection_in_names_is_rejected(payload: dict[str, Any], path: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_payload(payload)
    assert err.value.problems[0].path == path


def test_text_cursor_on_integer_ids_is_rejected(service: AudienceService) -> None:
    # Any text may be a user_id on text-id data (issue 15), so the spec accepts it; on this
    # integer-id data the service refuses it, naming the field, before any SQL is built.
    spec = parse_payload({"cursor": INJECTION}).spec
    with pytest.raises(SpecError) as err:
        service.query(spec)
    assert err.value.problems[0].path == "cursor"
    assert service.count(parse_payload({}).spec) == 6


# -- validation messages ----------------------------------------------------------------------
def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "attribute", "column": "age", "op": "is_null"}
    for _ in range(depth - 1):
        node = {"type": "all", "conditions": [node]}
    return node


BAD: list[tuple[Any, str, str]] = [
    (
        {"where": {"type": "attribute", "column": "agee", "op": "eq", "value": 1}},
        "where.column",
        "unknown column 'agee'",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "eq", "value": "30"}},
        "where.value",
        "integer column",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "eq", "value": True}},
        "where.value",
        "integer column",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "eq", "value": 2**40}},
        "where.value",
        "out of range",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "contains", "value": "3"}},
        "where.op",
        "text columns",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "between", "value": [40, 30]}},
        "where.value",
        "greater than",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "in", "value": []}},
        "where.value",
        "non-empty list",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "is_null", "value": 3}},
        "where.value",
        "takes no value",
    ),
    (
        {
            "where": {
                "type": "attribute",
                "column": "signup_date",
                "op": "gt",
                "value": "2025-13-01",
            }
        },
        "where.value",
        "not a date",
    ),
    (
        {"where": {"type": "attribute", "column": "name", "op": "eq", "value": "a\x00b"}},
        "where.value",
        "NUL",
    ),
    (
        {"where": {"type": "attribute", "column": "age", "op": "eq", "value": 3, "colum": 1}},
        "where.colum",
        "Extra inputs",
    ),
    ({"where": {"type": "event", "event": "  "}}, "where.event", "empty event name"),
    (
        {"where": {"type": "event", "event": "login", "op": "gte", "count": -1}},
        "where.count",
        "greater than or equal to 0",
    ),
    (
        {
            "where": {
                "type": "event",
                "event": "login",
                "window": {"last_days": 3, "start": "2025-01-01"},
            }
        },
        "where.window",
        "not both",
    ),
    (
        {
            "where": {
                "type": "event",
                "event": "login",
                "window": {"start": "2025-02-01", "end": "2025-01-01"},
            }
        },
        "where.window",
        "before end",
    ),
    (
        {
            "where": {
                "type": "all",
                "conditions": [{"type": "not", "condition": {"type": "attribute"}}],
            }
        },
        "where.conditions[0].condition.column",
        "Field required",
    ),
    ({"where": _nested(MAX_DEPTH + 1)}, "where" + ".conditions[0]" * MAX_DEPTH, "deeper than 10"),
    ({"version": 2}, "version", "Input should be 1"),
    ({"cursor": ""}, "cursor", "at least 1 character"),
    ({"cursor": "u" * 201}, "cursor", "at most 200 characters"),
    ({"cursor": "99999999999999999999"}, "cursor", "out of the 64-bit range"),
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"as_of": "yesterday"}, "as_of", "not an ISO date"),
    ({"as_of": "9999-01-01"}, "as_of", "outside"),
    (
        {"user_filters": [{"field": "shoe_size", "operator": "eq", "value": 1}]},
        "user_filters[0].field",
        "unknown field",
    ),
    (
        {"user_filters": [{"field": "age", "operator": "between", "value": 1}]},
        "user_filters[0].operator",
        "Input should be",
    ),
    (
        {"user_filters": [{"field": "age", "operator": "eq", "value": "x"}]},
        "user_filters[0].value",
        "integer column",
    ),
    ({"event_filters": [{"event_name": ""}]}, "event_filters[0].event_name", "empty event name"),
    ({"logic_operator": "XOR", "user_filters": []}, "logic_operator", "Input should be"),
    ([1, 2], "", "expected a JSON object"),
]


@pytest.mark.parametrize(("payload", "path", "reason"), BAD)
def test_invalid_specs_say_where_and_why(payload: Any, path: str, reason: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_payload(payload)
    problem = err.value.problems[0]
    assert (problem.path, reason in problem.message) == (path, True), problem
    assert "\n" not in str(err.value)  # one line for the CLI


def test_depth_limit_is_exact() -> None:
    assert parse_payload({"where": _nested(MAX_DEPTH)}).spec.where is not None
    with pytest.raises(SpecError):
        parse_payload({"where": _nested(MAX_DEPTH + 1)})


def test_deeply_nested_json_is_rejected_cleanly() -> None:
    with pytest.raises(SpecError, match="nested"):
        parse_json('{"where":' + '{"type":"not","condition":' * 5000 + "1" + "}" * 5001)
    with pytest.raises(SpecError, match=r"nested|malformed"):
        parse_json("[" * 100_000)
    with pytest.raises(SpecError, match="malformed JSON"):
        parse_json('{"where": ')


def test_published_schema_is_current() -> None:
    on_disk = json.loads((ROOT / "docs" / "audience.schema.json").read_text())
    assert on_disk == json_schema(), (
        "regenerate: ducky audience --schema > docs/audience.schema.json"
    )
    assert on_disk["properties"]["version"]["const"] == 1
