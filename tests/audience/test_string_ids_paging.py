"""Audience cursor paging on string-id data (issue 15): every user exactly once, in order.

Hand-made ids chosen so that text order differs from number order ("u10" < "u2"), with a
UUID, an id that looks like a number ("123") and one with a quote in it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ducky.ingest import run_ingest

IDS = [
    "u2",
    "u10",
    "u1",
    "123",
    "9",
    "O'Brien",
    "0b6f1a8e-2c1d-4c8e-9f7a-3d2b1c0e9f11",
    "Zed",
    "abc123",
    "u20",
    "A",
]


@pytest.fixture(scope="module")
def strdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("strpage")
    users = tmp / "users.csv"
    users.write_text(
        "user_id,signup_date,age\n"
        + "".join(f'"{u}",2024-01-{i + 1:02d},{20 + i}\n' for i, u in enumerate(IDS))
    )
    events = tmp / "events.csv"
    # every second user logged in: the filtered audience
    events.write_text(
        "user_id,event_type,timestamp\n"
        + "".join(f'"{u}",login,2024-02-01 10:00:00\n' for u in IDS[::2])
    )
    out = tmp / "data"
    mapping = tmp / "m.yaml"
    mapping.write_text("id_types:\n  user_id: string\n")  # "123" and "9" stay text
    run_ingest(
        out,
        {"users": str(users), "events": str(events)},
        mapping=mapping,
        now=dt.datetime(2024, 3, 1),
    )
    return out


@pytest.fixture(scope="module")
def client(strdir: Path) -> Any:
    from fastapi.testclient import TestClient

    from ducky.api.app import create_app

    with TestClient(create_app(strdir)) as c:
        yield c


@pytest.mark.integration
@pytest.mark.parametrize("page", [None, "3"])
def test_cli_json_export_keeps_string_ids(strdir: Path, tmp_path: Path, page: str | None) -> None:
    # `--format json` paged through every user crashed on int("u2") (exit 70, half a document).
    import json

    from tests.cli_support import run_cli

    limit = () if page is None else ("--limit", page)
    spec = json.dumps({"version": 1, "where": {"type": "event", "event": "login", "op": "gte",
                                               "count": 1}})  # fmt: skip
    (tmp_path / "spec.json").write_text(spec)
    r = run_cli("--data", str(strdir), "audience", str(tmp_path / "spec.json"), "--format", "json",
                *limit)  # fmt: skip
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    want = sorted(IDS[::2]) if page is None else sorted(IDS[::2])[:3]
    assert sorted(doc["user_ids"]) == want and all(isinstance(u, str) for u in doc["user_ids"])
    assert [u["user_id"] for u in doc["users"]] == doc["user_ids"]


def _all_pages(client: Any, body: dict[str, Any], limit: int) -> list[Any]:
    seen: list[Any] = []
    cursor = None
    for _ in range(100):
        page_body = {**body, "limit": limit}
        if cursor is not None:
            page_body["cursor"] = cursor
        r = client.post("/audiences/query", json=page_body)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["count"] == len(page["user_ids"]) <= limit
        seen += page["user_ids"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 10, 11, 50])
def test_every_user_once_in_order(client: Any, limit: int) -> None:
    # byte order of the ids, as the engines sort text (uppercase and digits before lowercase)
    assert _all_pages(client, {}, limit) == sorted(IDS, key=lambda s: s.encode())


def test_filtered_audience_pages_too(client: Any) -> None:
    where = {"where": {"type": "event", "event": "login", "op": "gte", "count": 1}}
    want = sorted(IDS[::2], key=lambda s: s.encode())
    assert _all_pages(client, where, 2) == want
    r = client.post("/audiences/query", json={**where, "count_only": True})
    assert r.json()["total_count"] == len(want)


def test_cursor_is_a_value_not_sql(client: Any) -> None:
    # a cursor is compared as a value: a quote or SQL in it selects, never injects
    r = client.post("/audiences/query", json={"limit": 20, "cursor": "O'Brien"})
    assert r.status_code == 200, r.text
    want = [u for u in sorted(IDS, key=lambda s: s.encode()) if u.encode() > b"O'Brien"]
    assert r.json()["user_ids"] == want
    r = client.post("/audiences/query", json={"limit": 20, "cursor": "x' OR '1'='1"})
    assert r.status_code == 200 and r.json()["user_ids"] == []


def test_user_id_filters_on_string_ids(client: Any) -> None:
    # user_id was typed as an integer column whatever the data held: "C-0001"-style ids could
    # not be filtered ("user_id is an integer column"). Text values compare as text.
    def where(op: str, value: Any) -> Any:
        body = {"where": {"type": "attribute", "column": "user_id", "op": op, "value": value}}
        return client.post("/audiences/query", json=body | {"limit": 100})

    r = where("in", ["u2", "123", "nobody"])
    assert r.status_code == 200 and sorted(r.json()["user_ids"]) == ["123", "u2"]
    r = where("starts_with", "u")
    assert sorted(r.json()["user_ids"]) == sorted(u for u in IDS if u.startswith("u"))
    r = where("eq", 9)  # a number for the text id "9": the same user
    assert r.json()["user_ids"] == ["9"]
    r = where("ne", "O'Brien")  # a quote is a literal
    assert len(r.json()["user_ids"]) == len(IDS) - 1
    r = where("gt", 5)
    assert r.status_code == 422
    assert r.json()["error"].startswith("user_id holds text ids in this data: gt does not apply")
    r = where("between", ["a", "b"])
    assert r.status_code == 422 and "compares user_id as a number" in r.text


def test_user_id_filters_on_integer_ids_keep_working(handmade_dir: Path) -> None:
    from ducky.audience import parse_payload
    from ducky.audience.service import AudienceService
    from ducky.datasets import DataDir
    from ducky.engines import open_engine

    with open_engine("duckdb", DataDir(handmade_dir)) as eng:
        eng.load()
        svc = AudienceService(eng)

        def ids(op: str, value: Any) -> list[Any]:
            spec = {"where": {"type": "attribute", "column": "user_id", "op": op, "value": value}}
            return sorted(svc.query(parse_payload(spec).spec).user_ids)

        assert ids("in", [1, "2", 99]) == [1, 2]
        assert ids("between", [2, 4]) == [2, 3, 4]
        assert ids("eq", "5") == [5]
        assert ids("starts_with", "6") == [6]
