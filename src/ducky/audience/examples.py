"""The DuckMart seed's use cases as v1 specs (served by GET /audiences/examples)."""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {
    "age_25_34": {
        "description": "Age targeting: users aged 25-34 (the seed's first required segment)",
        "spec": {
            "version": 1,
            "where": {"type": "attribute", "column": "age", "op": "between", "value": [25, 34]},
        },
    },
    "california_login": {
        "description": "Users in California who logged in at least once (the seed's second)",
        "spec": {
            "version": 1,
            "where": {
                "type": "all",
                "conditions": [
                    {"type": "attribute", "column": "location", "op": "eq", "value": "California"},
                    {"type": "event", "event": "login", "op": "gte", "count": 1},
                ],
            },
        },
    },
    "premium_recent_purchasers": {
        "description": "Premium subscribers who purchased in the last 30 days",
        "spec": {
            "version": 1,
            "where": {
                "type": "all",
                "conditions": [
                    {"type": "attribute", "column": "plan", "op": "eq", "value": "premium"},
                    {
                        "type": "event",
                        "event": "purchased",
                        "op": "gte",
                        "count": 1,
                        "window": {"last_days": 30},
                    },
                ],
            },
        },
    },
    "cart_abandoners": {
        "description": "Added a product to the cart in the last 30 days and did not buy it "
        "within 7 days",
        "spec": {
            "version": 1,
            "where": {
                "type": "cart_abandonment",
                "within_days": 7,
                "window": {"last_days": 30},
            },
        },
    },
    "mobile_engaged_browsers": {
        "description": "Mobile users who viewed at least 3 products in the last 30 days but "
        "made no purchase in that time",
        "spec": {
            "version": 1,
            "where": {
                "type": "all",
                "conditions": [
                    {"type": "attribute", "column": "device", "op": "eq", "value": "mobile"},
                    {
                        "type": "event",
                        "event": "viewed",
                        "op": "gte",
                        "count": 3,
                        "window": {"last_days": 30},
                    },
                    {
                        "type": "not_performed",
                        "event": "purchased",
                        "window": {"last_days": 30},
                    },
                ],
            },
        },
    },
    "legacy_california_login": {
        "description": "The seed's own flat payload (accepted unchanged): California + LOGIN",
        "spec": {
            "user_filters": [{"field": "location", "operator": "eq", "value": "California"}],
            "event_filters": [{"event_name": "LOGIN", "operator": "gte", "count": 1}],
            "logic_operator": "AND",
        },
    },
}
