"""The audience complexity budget: cost counting, 413 over HTTP, one line from the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from ducky.audience import budget, parse_payload
from ducky.audience.budget import SpecTooComplex


def sequences(n: int) -> dict[str, Any]:
    seq = {
        "type": "sequence",
        "first": {"event": "viewed"},
        "then": {"event": "purchased"},
        "within_days": 7,
    }
    return {"where": {"type": "any", "conditions": [seq] * n}}


def test_cost_counts_nodes_sequences_and_scans() -> None:
    spec = parse_payload(
        {
            "where": {
                "type": "all",
                "conditions": [
                    {"type": "attribute", "column": "country", "op": "eq", "value": "US"},
                    {"type": "event", "event": "login", "op": "gte", "count": 1},
                    {"type": "not", "condition": sequences(2)["where"]},
                    {"type": "cart_abandonment"},
                ],
            }
        }
    ).spec
    # all, attribute, event, not, any, 2 sequences, cart abandonment
    assert budget.cost(spec.where) == budget.Cost(nodes=8, sequences=2, event_scans=1 + 4 + 2)


def test_budget_edges() -> None:
    assert parse_payload(sequences(budget.MAX_SEQUENCES)).spec is not None
    with pytest.raises(SpecTooComplex) as e:
        parse_payload(sequences(budget.MAX_SEQUENCES + 1))
    assert str(e.value) == (
        f"audience spec over the complexity budget: {budget.MAX_SEQUENCES + 1} sequence "
        f"conditions, the limit is {budget.MAX_SEQUENCES}"
    )
    logins = {"type": "event", "event": "login", "op": "gte", "count": 1}
    many = {"where": {"type": "any", "conditions": [logins] * (budget.MAX_EVENT_SCANS + 1)}}
    with pytest.raises(SpecTooComplex, match="41 passes over events, the limit is 40"):
        parse_payload(many)


def test_api_answers_413_with_one_line(api_url: str) -> None:
    with httpx.Client(base_url=api_url, timeout=30) as c:
        for path in ("/audiences/query", "/audiences/explain"):
            r = c.post(path, json=sequences(budget.MAX_SEQUENCES + 5))
            assert r.status_code == 413
            body = r.json()
            assert body["error"] == (
                "audience spec over the complexity budget: 15 sequence conditions, the limit is 10"
            )
            assert "\n" not in body["error"]
            assert body["problems"] == [
                {"path": "where", "message": "15 sequence conditions, the limit is 10"}
            ]
        # at the limit it runs, and a small query still answers afterwards
        r = c.post("/audiences/query", json=sequences(budget.MAX_SEQUENCES) | {"count_only": True})
        assert r.status_code == 200
        assert c.post("/audiences/query", json={"count_only": True}).json()["total_count"] > 0


def test_cli_prints_one_line(handmade_dir: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(sequences(11)))
    p = subprocess.run(
        [sys.executable, "-m", "ducky", "--data", str(handmade_dir), "audience", str(spec)],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr == (
        "error: audience spec over the complexity budget: 11 sequence conditions, the limit is 10\n"
    )
