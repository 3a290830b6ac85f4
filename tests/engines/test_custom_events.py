"""A shop's own event names (kept by ingest as they came) filter WAU and cohort on every engine.

The hand-made data plus four `wishlist_add` events, placed so the answers are known by hand:
users 1, 2 and 4 in the ISO week of 2025-01-06 and user 5 in the week of 2025-01-20 (WAU 3, 1);
user 4's is before signup (ignored by cohort), users 1 and 2 return in week 1 of the December
cohort, user 5 in week 3 of January's. Every engine must give those rows, equal to the
pure-Python reference; a misspelt name is one clear error naming the nearest; the rollups,
one bit per canonical type, refuse such a name instead of answering "nobody".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ducky.bench.runner import compare_rows
from ducky.datasets import DataDir
from ducky.engines.base import Engine
from ducky.errors import UserError
from tests import handmade, reference
from tests.cli_support import run_cli
from tests.engines.test_cross_engine import ENGINES

T = dt.datetime
WISH = "wishlist_add"
EXTRA = [
    handmade._e(1, WISH, 20, T(2025, 1, 8, 10, 0)),  # day 9 of user 1 -> week 1
    handmade._e(2, WISH, 11, T(2025, 1, 7, 9, 0)),  # day 7 of user 2 -> week 1
    handmade._e(4, WISH, 30, T(2025, 1, 12, 10, 0)),  # before user 4's signup (01-15)
    handmade._e(5, WISH, 10, T(2025, 1, 22, 10, 0)),  # day 21 of user 5 -> week 3
]


@pytest.fixture(scope="module")
def custom_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return handmade.write_datadir(
        tmp_path_factory.mktemp("custom_events") / "data", events=[*handmade.EVENTS, *EXTRA]
    )


def _rows(dd: DataDir, table: str) -> list[dict[str, Any]]:
    return pq.read_table(dd.table_files(table)).to_pylist()


@pytest.mark.parametrize("case", [pytest.param(c, marks=c.marks, id=c.name) for c in ENGINES])
def test_own_event_name_on_every_engine(
    request: pytest.FixtureRequest, custom_dir: Path, tmp_path: Path, case: Any
) -> None:
    from ducky.sql.events import require_event_in_data

    dd = DataDir(custom_dir)
    events, users = _rows(dd, "events"), _rows(dd, "users")
    eng: Engine = case.open(request, dd, tmp_path)
    with eng:
        eng.load()
        for variant in ("baseline", "optimized"):
            eng.reset_settings()
            eng.prepare("wau", variant)
            wau = eng.query("wau", variant, event_type=WISH).to_pylist()
            assert [(r["week_start"], r["active_users"]) for r in wau] == [
                (dt.date(2025, 1, 6), 3),
                (dt.date(2025, 1, 20), 1),
            ], f"{case.name}/{variant}"
            assert compare_rows(reference.wau(events, WISH), wau) is None
            eng.prepare("cohort", variant)
            got = eng.query("cohort", variant, event_type=WISH, weeks=3).to_pylist()
            assert compare_rows(reference.cohort(users, events, 3, WISH), got) is None
            kept = {(r["cohort_month"], r["week"]): r["retained"] for r in got if r["retained"]}
            assert kept == {(dt.date(2024, 12, 1), 1): 2, (dt.date(2025, 1, 1), 3): 1}
        require_event_in_data(eng, WISH)  # present: no error
        with pytest.raises(UserError) as bad:
            require_event_in_data(eng, "wishlst_add")
        assert str(bad.value) == (
            "no event named 'wishlst_add' in the data (the data's event names: "
            "viewed (7), purchased (6), login (4), wishlist_add (4), add-to-cart (1)); "
            "did you mean 'wishlist_add'?"
        )
        with pytest.raises(UserError, match="rollups keep the four canonical event types"):
            eng.query("wau", "rollup", event_type=WISH)


@pytest.mark.integration
def test_own_event_name_from_the_cli(custom_dir: Path) -> None:
    r = run_cli("--data", str(custom_dir), "--json", "query", "wau", "--event", WISH)
    assert r.code == 0, r.stderr
    import json

    rows = json.loads(r.stdout)["rows"]
    assert [(x["week_start"], x["active_users"]) for x in rows] == [
        ("2025-01-06", 3),
        ("2025-01-20", 1),
    ]
    # The independent Polars path agrees, and names a typo the same way.
    r = run_cli("--data", str(custom_dir), "--json", "cohort", "--event", WISH, "--weeks", "3")
    sql = json.loads(r.stdout)
    r = run_cli(
        "--data", str(custom_dir), "--json", "cohort", "--event", WISH, "--weeks", "3", "--polars"
    )
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["rows"] == sql["rows"]
    for extra in ((), ("--polars",)):
        r = run_cli("--data", str(custom_dir), "cohort", "--event", "Wishlist-Add", *extra)
        assert r.code == 2 and r.stdout == ""
        assert r.stderr.strip().splitlines() == [
            "error: no event named 'Wishlist-Add' in the data (the data's event names: "
            "viewed (7), purchased (6), login (4), wishlist_add (4), add-to-cart (1)); "
            "did you mean 'wishlist_add'?"
        ]
    r = run_cli("--data", str(custom_dir), "query", "cohort", "--event", WISH, "-V", "rollup")
    assert r.code == 2 and "use the optimized variant" in r.stderr
    assert not (custom_dir / ".ducky").exists() or not any(
        (custom_dir / ".ducky").rglob("*.duckdb")
    )  # refused before any engine opened: no rollup store was created


def test_names_and_aliases_resolve_before_the_data() -> None:
    from ducky.queries import check_event_type
    from ducky.sql.events import is_custom_event, missing_event_message

    assert check_event_type("any") is None and check_event_type(None) is None
    assert check_event_type(" Purchased ") == "purchased"
    assert check_event_type("Order Completed") == "purchased"  # an ingest alias
    assert check_event_type("signin") == "login"  # an audience alias: one vocabulary
    assert check_event_type(" wishlist_add ") == "wishlist_add"  # kept, case and all
    assert is_custom_event("wishlist_add") and not is_custom_event("login")
    with pytest.raises(UserError, match="choose any"):
        check_event_type("  ")
    assert missing_event_message("purchsed", {}) == (
        "no event named 'purchsed' in the data (the data has no events); did you mean 'purchased'?"
    )
    many = {f"e{i:02d}": 20 - i for i in range(10)}
    assert missing_event_message("zzz", many) == (
        "no event named 'zzz' in the data (the data's event names: e00 (20), e01 (19), "
        "e02 (18), e03 (17), e04 (16), e05 (15), e06 (14), e07 (13) and 2 more)"
    )


@pytest.mark.integration
def test_audience_checks_a_shops_own_event_names(custom_dir: Path, tmp_path: Path) -> None:
    """A misspelt own event name selected nobody (`event`) or everybody (`not_performed`: an
    export of the whole user base); it is now one error, in the CLI and the API alike."""
    import json

    from fastapi.testclient import TestClient

    from ducky.api.app import create_app

    def spec(kind: str, name: str) -> dict[str, Any]:
        return {"version": 1, "where": {"type": kind, "event": name}}

    path = tmp_path / "s.json"
    path.write_text(json.dumps(spec("not_performed", "wishlst_add")))
    r = run_cli("--data", str(custom_dir), "audience", str(path), "--count-only")
    assert r.code == 2 and r.stdout == ""
    assert r.stderr.strip() == (
        "error: no event named 'wishlst_add' in the data (the data's event names: viewed (7), "
        "purchased (6), login (4), wishlist_add (4), add-to-cart (1)); did you mean "
        "'wishlist_add'?"
    )
    # the real name: users 1, 2, 4 and 5 added to a wishlist; the other 2 of 6 did not
    path.write_text(json.dumps(spec("not_performed", WISH)))
    r = run_cli("--data", str(custom_dir), "audience", str(path), "--count-only")
    assert r.code == 0 and r.stdout.startswith("2 users in the audience"), r.stdout + r.stderr
    steps = {"first": {"event": "viewed"}, "then": {"event": "wishlst"}}
    seq = {"version": 1, "where": {"type": "sequence", "within_days": 30, **steps}}
    with TestClient(create_app(custom_dir)) as c:
        bad = c.post("/audiences/query", json=seq)
        assert bad.status_code == 422
        assert bad.json()["error"].startswith("no event named 'wishlst' in the data")
        ok = c.post("/audiences/query", json=spec("event", WISH) | {"limit": 10})
        assert ok.status_code == 200 and ok.json()["total_count"] == 4
