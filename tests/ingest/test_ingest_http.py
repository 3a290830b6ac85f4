"""HTTP sources on a loopback server: page and cursor pagination, retries on 503/429, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ducky.errors import UserError
from ducky.ingest import run_ingest
from ducky.ingest.sources import HttpOptions, fetch_api_records
from tests.fixtures.http_source import ApiState, serve_file

FAST = HttpOptions(timeout=5, retries=3, backoff=0.01)
DATA = Path(__file__).parents[1] / "data" / "ingest"


def _users(ids: range) -> list[dict[str, object]]:
    return [{"user_id": i, "signup_date": "2025-01-0" + str(1 + i % 9)} for i in ids]


def test_page_pagination_with_a_transient_503(http_source: tuple[str, ApiState]) -> None:
    base, state = http_source
    state.pages["/users"] = [_users(range(1, 4)), _users(range(4, 7)), _users(range(7, 8))]
    state.fail_first["/users"] = [503]
    recs = fetch_api_records(base + "/users", FAST)
    assert [r["user_id"] for r in recs] == list(range(1, 8))
    # 503, then pages 1..3, then the empty page 4 that ends it
    assert state.requests == ["/users", "/users", "/users?page=2", "/users?page=3", "/users?page=4"]


def test_cursor_pagination_and_429_then_ingest(
    http_source: tuple[str, ApiState], tmp_path: Path
) -> None:
    base, state = http_source
    state.pages["/users"] = [_users(range(1, 3))]
    state.cursor_pages["/events"] = [
        [{"user_id": 1, "event_type": "login", "timestamp": "2025-01-05T00:00:00Z"}],
        [
            {"user_id": 2, "event_type": "login", "timestamp": "2025-01-06T00:00:00Z"},
            {"user_id": 3, "event_type": "login", "timestamp": "2025-01-06T00:00:00Z"},
        ],
    ]
    state.fail_first["/events"] = [429, 502]
    r = run_ingest(
        tmp_path / "d",
        {"users": base + "/users", "events": base + "/events"},
        http=FAST,
        fail_on="never",
    )
    acc = {a.table: (a.rows_in, a.loaded, a.quarantined) for a in r.accounts}
    assert acc == {"users": (2, 2, 0), "events": (3, 2, 1)}  # user 3 is an orphan
    assert [p for p in state.requests if p.startswith("/events")] == [
        "/events",
        "/events",
        "/events",
        "/events?cursor=1",
    ]


def test_gives_up_after_retries(http_source: tuple[str, ApiState]) -> None:
    base, state = http_source
    state.pages["/users"] = [_users(range(1, 2))]
    state.fail_first["/users"] = [503] * 10
    with pytest.raises(UserError, match=r"gave up after 4 attempts \(HTTP 503"):
        fetch_api_records(base + "/users", FAST)


def test_not_found_is_not_retried(http_source: tuple[str, ApiState]) -> None:
    base, state = http_source
    with pytest.raises(UserError, match="HTTP 404"):
        fetch_api_records(base + "/nope", FAST)
    assert state.requests == ["/nope"]


def test_connection_refused_is_retried_then_reported() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(UserError, match="gave up after 2 attempts"):
        fetch_api_records(
            f"http://127.0.0.1:{port}/x", HttpOptions(timeout=2, retries=1, backoff=0.01)
        )


def test_file_urls_are_read_by_extension(http_source: tuple[str, ApiState], tmp_path: Path) -> None:
    base, state = http_source
    serve_file(state, "/exports/users.csv", DATA / "users.csv")
    r = run_ingest(tmp_path / "d", {"users": base + "/exports/users.csv"}, fail_on="never")
    a = r.accounts[0]
    assert (a.rows_in, a.loaded, a.quarantined, a.duplicates) == (13, 4, 8, 1)


def test_timeout_is_retried(http_source: tuple[str, ApiState]) -> None:
    base, state = http_source
    state.pages["/users"] = [_users(range(1, 3))]
    state.slow_first["/users"] = [1.5]
    recs = fetch_api_records(base + "/users", HttpOptions(timeout=0.3, retries=2, backoff=0.01))
    assert [r["user_id"] for r in recs] == [1, 2]
    assert state.requests[:2] == ["/users", "/users"]  # the stalled request, then the retry
