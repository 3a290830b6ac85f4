"""Seed 004's own API (the DuckMart segmentation challenge): `POST /segment`, `GET /examples`.

The seed specifies these two routes and their shapes; they sit beside ducky's versioned
`/audiences/...` routes and share their engine, parser and limits, so a seed client works
unchanged:

    POST /segment  {"user_filters": [...], "event_filters": [...], "logic_operator": "AND",
                    "limit": 1000}
    ->             {"user_ids": [25, 32, ...], "total_count": 390,
                    "filters_applied": {"user_filters": [...], "event_filters": [...],
                                        "logic_operator": "AND"}}

`user_ids` is at most `limit` ids (the seed's default 1000) in ascending order; `total_count`
counts every matching user. `filters_applied` echoes the filters as the seed's client sent them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from ducky.audience.service import AudienceService

# The seed's five use cases, in its own payload format.
EXAMPLES: dict[str, dict[str, Any]] = {
    "age_targeting": {
        "user_filters": [
            {"field": "age", "operator": "gte", "value": 25},
            {"field": "age", "operator": "lte", "value": 34},
        ],
        "logic_operator": "AND",
    },
    "california_login": {
        "user_filters": [{"field": "location", "operator": "eq", "value": "California"}],
        "event_filters": [{"event_name": "LOGIN", "operator": "gte", "count": 1}],
        "logic_operator": "AND",
    },
    "premium_recent_purchasers": {
        "user_filters": [{"field": "subscription_plan", "operator": "eq", "value": "Premium"}],
        "event_filters": [
            {"event_name": "PURCHASE_MADE", "operator": "gte", "count": 1, "time_range_days": 30}
        ],
        "logic_operator": "AND",
    },
    "cart_abandonment": {
        "event_filters": [
            {"event_name": "ADDED_TO_CART", "operator": "gte", "count": 1},
            {"event_name": "PURCHASE_MADE", "operator": "eq", "count": 0},
        ],
        "logic_operator": "AND",
    },
    "mobile_active": {
        "user_filters": [{"field": "device_type", "operator": "eq", "value": "Mobile"}],
        "event_filters": [
            {"event_name": "LOGIN", "operator": "gte", "count": 3, "time_range_days": 30}
        ],
        "logic_operator": "AND",
    },
}


def router(service: AudienceService) -> APIRouter:
    """The seed's routes over `service` (the app's engine connection)."""
    from ducky.api.body import read_body
    from ducky.audience.parse import Problem, SpecError, parse_payload

    async def read_raw(request: Request) -> Any:
        # The same bounded read as the /audiences routes, keeping the decoded JSON so the
        # response can echo the filters as the client sent them.
        try:
            return json.loads(await read_body(request))
        except RecursionError:
            raise SpecError([Problem("", "JSON nested too deeply")]) from None
        except (ValueError, UnicodeDecodeError) as e:
            raise SpecError([Problem("", f"malformed JSON: {e}")]) from None

    r = APIRouter(tags=["seed 004"])

    @r.post("/segment", summary="Seed 004: user ids matching the seed's flat payload")
    async def segment(request: Request) -> dict[str, Any]:
        raw = await read_raw(request)
        parsed = parse_payload(raw)  # the seed's payload (or a v1 spec); 422 with paths if bad
        result = await run_in_threadpool(service.query, parsed.spec)
        return {
            "user_ids": result.user_ids,
            "total_count": result.total_count,
            "filters_applied": {
                "user_filters": raw.get("user_filters", []),
                "event_filters": raw.get("event_filters", []),
                "logic_operator": raw.get("logic_operator", "AND"),
            },
        }

    @r.get("/examples", summary="Seed 004: example payloads for POST /segment")
    async def examples() -> dict[str, Any]:
        return EXAMPLES

    return r
