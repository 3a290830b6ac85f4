"""`ducky ingest` end to end: JSON output, exit codes, one-line errors, daily summaries."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from ducky.datasets import DataDir
from ducky.ingest.daily import daily_summaries, summary_sql
from tests import handmade
from tests.cli_support import Result, run_cli

DATA = Path(__file__).parents[1] / "data" / "ingest"


def test_cli_json_accounting_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    args = [
        "--data",
        str(out),
        "ingest",
        "--users",
        str(DATA / "users.csv"),
        "--products",
        str(DATA / "products.json"),
        "--events",
        str(DATA / "events.ndjson"),
        "--mapping",
        str(DATA / "map.yaml"),
        "--json",
    ]
    r = run_cli(*args)
    assert r.code == 1, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(
        "error: ingest stopped by --fail-on fail"
    )
    # ...and it says how to see the rejects and how to go on
    assert r.stderr.rstrip().endswith(
        "(`ducky quarantine` lists them; --fail-on never merges the rows that passed)"
    )
    doc = json.loads(r.stdout)
    assert doc["merged"] is False
    assert [
        (a["rows_in"], a["held_back"], a["quarantined"], a["duplicates"]) for a in doc["accounting"]
    ] == [(13, 4, 8, 1), (9, 3, 5, 1), (15, 6, 8, 1)]
    assert not (out / "manifest.json").exists() and len(list(out.glob("quarantine/*/*"))) == 3

    r = _in_process(capsys, *args, "--fail-on", "never")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["merged"] is True
    assert [a["loaded"] for a in doc["accounting"]] == [4, 3, 6]
    DataDir(out).validate()


def test_cli_table_output_and_warn_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "data"
    monkeypatch.setenv("COLUMNS", "200")  # rich sizes its tables from it
    r = _in_process(
        capsys,
        "--data",
        str(out),
        "ingest",
        "--users",
        str(DATA / "users.csv"),
        "--fail-on",
        "never",
    )
    assert r.code == 0, r.stderr
    assert "ingest accounting" in r.stdout and "quality" in r.stdout and "age_range" in r.stdout
    # the duplicate check only warns: --fail-on warn stops on it
    r = _in_process(
        capsys,
        "--data",
        str(tmp_path / "d2"),
        "ingest",
        "--products",
        str(DATA / "products.json"),
        "--mapping",
        str(DATA / "map.yaml"),
        "--fail-on",
        "warn",
        "--json",
    )
    assert r.code == 1 and "products.duplicate" in json.loads(r.stdout)["tripped"]


def _in_process(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """The real console entry point, in this process (a subprocess costs seconds here)."""
    from ducky.cli.main import main

    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return Result(code, out, err)


def test_cli_errors_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data", str(tmp_path / "data"), "ingest"]
    bad_col = tmp_path / "cols.yaml"
    bad_col.write_text("products:\n  cost: unit_price\n")
    bad_yaml = tmp_path / "broken.yaml"
    bad_yaml.write_text("products: [unclosed\n")
    cases = [
        ([*d, "--users", str(tmp_path / "missing.csv")], "missing.csv: no such file"),
        (
            [
                *d,
                "--products",
                str(DATA / "products.json"),
                "--mapping",
                str(DATA / "bad_map.yaml"),
            ],
            "mapping names column 'identifier' for products.product_id, but the source has no such column",  # noqa: E501
        ),
        ([*d, "--users", str(DATA / "map.yaml")], "unknown file format '.yaml'"),
        (
            [*d, "--products", str(DATA / "products.json")],
            "no source column for required products column(s) product_id",
        ),
        ([*d], "nothing to ingest"),
        (
            [*d, "--products", str(DATA / "products.json"), "--mapping", str(bad_col)],
            "products has no column 'cost'",
        ),
        (
            [*d, "--products", str(DATA / "products.json"), "--mapping", str(bad_yaml)],
            "not valid YAML",
        ),
    ]
    for args, msg in cases:
        r = _in_process(capsys, *args)
        assert r.code == 2, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
        assert msg in r.stderr, r.stderr
    assert not (tmp_path / "data").exists()


def _reference_daily() -> tuple[dict, dict]:
    price = {p["product_id"]: p for p in handmade.PRODUCTS}
    sales: dict = defaultdict(lambda: [0, Decimal(0), set()])
    active: dict = defaultdict(set)
    for e in handmade.EVENTS:
        day = e["timestamp"].date()
        active[day].add(e["user_id"])
        if e["event_type"] == "purchased":
            p = price[e["product_id"]]
            s = sales[(day, p["category"])]
            s[0] += 1
            s[1] += p["price"]
            s[2].add(e["user_id"])
    new: dict = defaultdict(int)
    for u in handmade.USERS:
        new[u["signup_date"]] += 1
    users = {d: (new.get(d, 0), len(active.get(d, ()))) for d in set(new) | set(active)}
    return {k: (v[0], v[1], len(v[2])) for k, v in sales.items()}, users


def test_daily_summaries_match_a_python_reference(handmade_dir: Path) -> None:
    got = daily_summaries(DataDir(handmade_dir))
    sales_ref, users_ref = _reference_daily()
    sales = {
        (r["day"], r["category"]): (r["purchases"], r["revenue"], r["buyers"])
        for r in got["daily_sales"].to_pylist()
    }
    assert sales == sales_ref
    users = {r["day"]: (r["new_users"], r["active_users"]) for r in got["daily_users"].to_pylist()}
    assert users == users_ref
    # the same canonical SQL renders for PostgreSQL
    assert "CAST(NULL AS TIMESTAMP)" in summary_sql("daily_sales", "postgres")


def test_cli_daily_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "data"
    users = tmp_path / "u.csv"
    users.write_text("user_id,signup_date\n1,2025-01-01\n")
    products = tmp_path / "p.json"
    products.write_text('[{"product_id": 5, "category": "home", "price": 2.5}]')
    events = tmp_path / "e.ndjson"
    events.write_text(
        '{"user_id": 1, "event_type": "purchased", "product_id": 5, "timestamp": "2025-01-01T10:00:00"}\n'  # noqa: E501
    )
    r = _in_process(
        capsys,
        "--data",
        str(out),
        "--json",
        "ingest",
        "--users",
        str(users),
        "--products",
        str(products),
        "--events",
        str(events),
        "--daily",
    )
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["daily"]["daily_sales"] == [
        {
            "day": "2025-01-01",
            "category": "home",
            "currency": "USD",
            "purchases": 1,
            "revenue": 2.5,
            "buyers": 1,
        }
    ]
    assert doc["daily"]["daily_users"] == [{"day": "2025-01-01", "new_users": 1, "active_users": 1}]


def test_html_section_from_the_manifest(tmp_path: Path) -> None:
    from ducky.ingest import run_ingest
    from ducky.ingest.report import report_sections, section_html

    out = tmp_path / "data"
    run_ingest(out, {"users": str(DATA / "users.csv")}, fail_on="never")
    html = section_html(DataDir(out))
    assert html is not None and html.startswith('<section class="ducky-ingest-quality">')
    assert "<td>users</td><td>13</td><td>4</td><td>8</td><td>1</td><td>0</td>" in html
    assert "<td>age_range</td>" in html and "<td>76.9%</td>" in html  # completeness 10/13
    assert report_sections(out)[0]["title"] == "Ingest data quality"
