"""Merging: a clean ingest reproduces the hand-made data; re-running changes nothing; merging
into an existing directory upserts users, dedups events and checks references against both."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ducky.datasets import DataDir
from ducky.ingest import run_ingest
from ducky.ingest.quarantine import read_quarantine
from ducky.schema import arrow_schema
from tests import handmade


def _write_sources(root: Path) -> dict[str, str]:
    root.mkdir(parents=True, exist_ok=True)
    users = root / "users.csv"
    with users.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=arrow_schema("users").names)
        w.writeheader()
        for u in handmade.USERS:
            w.writerow({k: u.get(k) for k in arrow_schema("users").names})
    products = root / "products.json"
    products.write_text(
        json.dumps([{**p, "price": str(p["price"])} for p in handmade.PRODUCTS], indent=1)
    )
    events = root / "events.ndjson"
    events.write_text(
        "".join(
            json.dumps({**e, "timestamp": e["timestamp"].isoformat()}) + "\n"
            for e in handmade.EVENTS
        )
    )
    return {"users": str(users), "products": str(products), "events": str(events)}


def _rows(d: Path, table: str) -> list[dict[str, Any]]:
    import pyarrow.dataset as ds

    files = [str(f) for f in DataDir(d).table_files(table)]
    t = ds.dataset(files, format="parquet").to_table(columns=arrow_schema(table).names)
    return sorted(t.to_pylist(), key=lambda r: json.dumps(r, default=str, sort_keys=True))


def _snapshot(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _write_sources(tmp_path_factory.mktemp("src"))


def test_clean_ingest_reproduces_handmade_data(
    sources: dict[str, str], handmade_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "data"
    r = run_ingest(out, sources)
    assert r.merged and not r.tripped
    assert [(a.table, a.rows_in, a.loaded, a.quarantined, a.duplicates) for a in r.accounts] == [
        ("users", 6, 6, 0, 0),
        ("products", 4, 4, 0, 0),
        ("events", 18, 18, 0, 0),
    ]
    m = DataDir(out).validate()
    assert m.producer["name"] == "ducky.ingest"
    assert m.producer["parameters"]["sources"] == sources
    assert m.rows("events") == 18 and m.rows("users") == 6
    assert m.extra["ingest"]["accounting"][2]["loaded"] == 18
    for table in ("users", "products", "events"):
        assert _rows(out, table) == _rows(handmade_dir, table), table
    assert not (out / "quarantine").exists()


def test_rerun_changes_nothing_byte_for_byte(sources: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "data"
    run_ingest(out, sources)
    before = _snapshot(out)
    r = run_ingest(out, sources)
    assert not r.changed
    assert _snapshot(out) == before
    assert [(a.loaded, a.already_present) for a in r.accounts] == [(0, 6), (0, 4), (0, 18)]
    for a in r.accounts:
        assert a.rows_in == a.loaded + a.quarantined + a.duplicates + a.held_back


def test_rerun_with_defects_is_idempotent_too(tmp_path: Path) -> None:
    data = Path(__file__).parents[1] / "data" / "ingest"
    src = {"users": str(data / "users.csv"), "products": str(data / "products.json")}
    out = tmp_path / "data"
    run_ingest(out, src, mapping=data / "map.yaml", fail_on="never")
    before = _snapshot(out)
    r = run_ingest(out, src, mapping=data / "map.yaml", fail_on="never")
    assert _snapshot(out) == before  # quarantine files are named by content: not duplicated
    assert [a.quarantined for a in r.accounts] == [8, 5]


def test_merge_into_existing_directory(handmade_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    shutil.copytree(handmade_dir, out)
    jan = sorted((out / "events" / "month=2024-12").glob("*.parquet"))
    untouched = {p.name: p.read_bytes() for p in jan}
    src = tmp_path / "new"
    src.mkdir()
    # user 1 changes plan (update), user 7 is new; events reference users 7 (new) and 5 (existing)
    (src / "users.csv").write_text(
        "user_id,signup_date,country,name,age,gender,location,plan,device\n"
        "1,2024-12-30,US,Ada,29,f,California,free,mobile\n"
        "7,2025-03-02,US,Gil,40,m,Ohio,basic,desktop\n"
    )
    (src / "events.ndjson").write_text(
        '{"user_id": 7, "event_type": "login", "timestamp": "2025-03-02T08:00:00"}\n'
        '{"user_id": 5, "event_type": "viewed", "product_id": 30, "timestamp": "2025-03-03T08:00:00"}\n'  # noqa: E501
        '{"user_id": 1, "event_type": "login", "product_id": null, "timestamp": "2024-12-30T09:00:00"}\n'  # noqa: E501
        '{"user_id": 42, "event_type": "login", "timestamp": "2025-03-04T08:00:00"}\n'
    )
    r = run_ingest(
        out,
        {"users": str(src / "users.csv"), "events": str(src / "events.ndjson")},
        fail_on="never",
    )
    acc = {a.table: a.to_dict() for a in r.accounts}
    assert (acc["users"]["inserted"], acc["users"]["updated"], acc["users"]["loaded"]) == (1, 1, 2)
    assert (acc["events"]["inserted"], acc["events"]["already_present"]) == (2, 1)
    assert acc["events"]["quarantined"] == 1  # user 42 is in neither the file nor the dir
    users = {u["user_id"]: u for u in _rows(out, "users")}
    assert len(users) == 7 and users[1]["plan"] == "free"
    assert len(_rows(out, "events")) == 20
    assert DataDir(out).validate().rows("events") == 20
    # months without new rows are carried over as they were
    assert {
        p.name: p.read_bytes() for p in (out / "events" / "month=2024-12").glob("*")
    } == untouched
    assert (out / "quarantine" / "events").is_dir()


def test_refuses_a_non_ducky_directory(tmp_path: Path, sources: dict[str, str]) -> None:
    from ducky.errors import UserError

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not a ducky data directory"):
        run_ingest(tmp_path, sources)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_parquet_source(tmp_path: Path) -> None:
    t = pa.Table.from_pylist(
        [
            {"product_id": 1, "category": "x", "price": 2.5, "name": None},
            {"product_id": 2, "category": "y", "price": 1.005, "name": "z"},
        ]
    )
    pq.write_table(t, tmp_path / "p.parquet")
    r = run_ingest(tmp_path / "d", {"products": str(tmp_path / "p.parquet")}, fail_on="never")
    assert (r.accounts[0].loaded, r.accounts[0].quarantined) == (1, 1)


@pytest.mark.postgres
def test_to_postgres_loads_the_ingested_directory(
    sources: dict[str, str], tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg

    from ducky.cli.main import main

    out = tmp_path / "data"
    with pytest.raises(SystemExit) as e:
        main(
            [
                "--data",
                str(out),
                "--json",
                "ingest",
                "--users",
                sources["users"],
                "--products",
                sources["products"],
                "--events",
                sources["events"],
                "--to-postgres",
                "--dsn",
                pg_dsn,
            ]
        )
    assert e.value.code == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    assert doc["merged"] is True and "postgres" in doc
    with psycopg.connect(pg_dsn, options="-c search_path=ducky") as con:
        counts = [
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("users", "products", "events")
        ]
    assert counts == [6, 4, 18]


def test_search_logs_with_lists(handmade_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    shutil.copytree(handmade_dir, out)
    logs = tmp_path / "logs.jsonl"
    logs.write_text(
        '{"user_id": 1, "search_query": "mug", "clicked_product_ids": [30, 10],'
        ' "timestamp": "2025-01-02T00:00:00"}\n'
        '{"user_id": 2, "search_query": "hat", "clicked_product_ids": [],'
        ' "timestamp": "2025-01-03T00:00:00"}\n'
        '{"user_id": 3, "search_query": "x", "clicked_product_ids": ["a"],'
        ' "timestamp": "2025-01-03T00:00:00"}\n'
        '{"user_id": 77, "search_query": "y", "timestamp": "2025-01-03T00:00:00"}\n'
    )
    r = run_ingest(out, {"search_logs": str(logs)}, fail_on="never")
    a = r.accounts[0]
    assert (a.rows_in, a.loaded, a.quarantined) == (4, 2, 2)
    rows = _rows(out, "search_logs")
    assert [(x["user_id"], x["clicked_product_ids"]) for x in rows] == [(1, [30, 10]), (2, [])]
    reasons = sorted(read_quarantine(out, "search_logs")["reason"].to_pylist())
    assert reasons == [
        "clicked_product_ids: '[\"a\"]' is not a list of integers like [1, 2]",
        "user_id: 77 is not in users (orphan)",
    ]


def test_ndjson_fast_and_line_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyarrow's reader (clean files) and the DuckDB line path (dirty files) type alike."""
    import ducky.ingest.sources as sources_mod

    lines = [
        {"user_id": 1, "event_type": "login", "timestamp": "2025-01-05T10:00:00Z"},
        {
            "user_id": 1,
            "event_type": "viewed",
            "product_id": 10,
            "timestamp": "2025-01-05T10:05:00+01:00",
        },
        {
            "user_id": 2,
            "event_type": "purchased",
            "product_id": 11,
            "timestamp": "2025-01-06 08:00:00.250",
        },
        {"user_id": 2, "event_type": "viewed", "product_id": 11, "timestamp": "2025-01-07"},
    ]
    src = tmp_path / "e.ndjson"
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert sources_mod._read_ndjson_fast(src.read_bytes()) is not None
    srcs = {"users": str(tmp_path / "u.csv"), "products": str(tmp_path / "p.csv")}
    (tmp_path / "u.csv").write_text("user_id,signup_date\n1,2025-01-01\n2,2025-01-01\n")
    (tmp_path / "p.csv").write_text("product_id,category,price\n10,a,1.00\n11,b,2.00\n")
    fast = run_ingest(tmp_path / "fast", {**srcs, "events": str(src)})
    monkeypatch.setattr(sources_mod, "_read_ndjson_fast", lambda buf: None)
    slow = run_ingest(tmp_path / "slow", {**srcs, "events": str(src)})
    assert [a.loaded for a in fast.accounts] == [a.loaded for a in slow.accounts] == [2, 2, 4]
    assert _rows(tmp_path / "fast", "events") == _rows(tmp_path / "slow", "events")
    import datetime as dt

    assert sorted(r["timestamp"] for r in _rows(tmp_path / "fast", "events")) == [
        dt.datetime(2025, 1, 5, 9, 5),
        dt.datetime(2025, 1, 5, 10, 0),
        dt.datetime(2025, 1, 6, 8, 0, 0, 250000),
        dt.datetime(2025, 1, 7),
    ]


def test_empty_sources_only_warn_on_volume(tmp_path: Path) -> None:
    (tmp_path / "e.ndjson").write_text("")
    (tmp_path / "u.csv").write_text("user_id,signup_date\n")
    r = run_ingest(
        tmp_path / "d", {"users": str(tmp_path / "u.csv"), "events": str(tmp_path / "e.ndjson")}
    )
    assert r.merged and [a.rows_in for a in r.accounts] == [0, 0]
    assert {(c.table, c.check) for c in r.checks if c.status != "ok"} == {
        ("users", "volume"),
        ("events", "volume"),
    }
