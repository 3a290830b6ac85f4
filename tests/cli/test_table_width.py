"""Every table command at 60, 80 and 200 columns and piped: every number of the result whole.

A terminal is simulated with rich's TTY_COMPATIBLE=1 and COLUMNS; "piped" is plain captured
stdout. The piped output is the reference (natural width); every number in it must appear, whole,
in each terminal rendering, and no rendering may hold an ellipsis.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ducky.cli.main import cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NUMBER = re.compile(r"\d(?:[\d,.:]*\d)?(?: %| ms| s\b| MB)?")
WIDTHS = (60, 80, 200)


def _run(args: list[str], width: int | None) -> str:
    env = {"NO_COLOR": "1"}
    if width is not None:
        env |= {"TTY_COMPATIBLE": "1", "COLUMNS": str(width)}
    else:
        env |= {"TTY_COMPATIBLE": "0", "COLUMNS": "40"}  # piped: COLUMNS must not matter
    r = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return ANSI.sub("", r.stdout)


def _numbers(text: str) -> Counter[str]:
    return Counter(NUMBER.findall(text))


def _check_all_widths(args: list[str], numbers: bool = True) -> str:
    piped = _run(args, None)
    assert "…" not in piped
    want = _numbers(piped)
    assert want or not numbers, piped
    for w in WIDTHS:
        out = _run(args, w)
        assert "…" not in out, out
        missing = want - _numbers(out)
        assert not missing, f"at {w} columns lost {dict(missing)}:\n{out}"
        if w < 200:
            widest = max(len(line) for line in out.splitlines())
            assert widest <= w, f"line of {widest} > {w} columns:\n{out}"
    return piped


@pytest.fixture(scope="module")
def shop(generated_dir: Path) -> list[str]:
    return ["--data", str(generated_dir)]


@pytest.mark.integration
def test_cohort_table(shop: list[str]) -> None:
    piped = _check_all_widths([*shop, "cohort"])
    doc = json.loads(_run([*shop, "cohort", "--json"], None))
    for row in doc["rows"]:
        assert f"{row['cohort_size']:,}" in piped
        if row["rate"] is not None and row["complete"]:
            assert f"{100 * row['rate']:.1f} %" in piped


@pytest.mark.integration
@pytest.mark.parametrize("name", ["wau", "revenue", "cohort"])
def test_query_tables(shop: list[str], name: str) -> None:
    piped = _check_all_widths([*shop, "query", name])
    doc = json.loads(_run([*shop, "query", name, "--json"], None))
    for row in doc["rows"]:
        for v in row.values():
            if isinstance(v, int) and not isinstance(v, bool):
                assert f"{v:,}" in piped
            elif isinstance(v, float) and name == "revenue":
                assert f"{v:,.2f}" in piped


def test_split_revenue_table_repeats_category_and_currency(handmade_dir: Path) -> None:
    # Each part of a table split to fit 60 columns names its rows by both keys: a part with
    # revenue per category but no currency could be read as the wrong currency's money.
    out = _run(["--data", str(handmade_dir), "query", "revenue"], 60)
    headers = [ln for ln in out.splitlines() if "category" in ln and "┃" in ln]
    assert len(headers) >= 2, out
    assert all("currency" in h for h in headers), out


def test_revenue_csv_keeps_money_decimals(handmade_dir: Path) -> None:
    out = _run(["--data", str(handmade_dir), "query", "revenue", "--format", "csv"], None)
    assert "electronics,USD,250.50,3,3,3,83.50" in out.splitlines()


@pytest.mark.integration
def test_audience_table(shop: list[str], tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"where": {"type": "attribute", "column": "age", "op": "between",
                                          "value": [30, 31]}, "limit": 40}))  # fmt: skip
    piped = _check_all_widths([*shop, "audience", str(spec)])
    doc = json.loads(_run([*shop, "audience", str(spec), "--json"], None))
    assert doc["users"]
    for u in doc["users"][:40]:
        assert str(u["signup_date"])[:10] in piped


@pytest.mark.integration
def test_engines_table() -> None:
    piped = _check_all_widths(["engines"], numbers=False)  # no numbers: names and states whole
    for w in WIDTHS:
        out = _run(["engines"], w)
        for word in ("duckdb", "postgres", "spark", "available"):
            assert out.count(word) >= piped.count(word) > 0


def _render_bench(doc: dict[str, Any], width: int | None, capsys: Any) -> str:
    import os

    from ducky.bench.results import BenchResults, Record, Stage
    from ducky.bench.table import print_results

    records = [Record(**{**r, "stages": [Stage(**s) for s in r["stages"]]}) for r in doc["records"]]
    results = BenchResults(**{**doc, "records": records})
    env = {"NO_COLOR": "1", "TTY_COMPATIBLE": "1" if width else "0", "COLUMNS": str(width or 40)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        capsys.readouterr()
        print_results(results)
        return ANSI.sub("", capsys.readouterr().out)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.slow
def test_bench_tables(handmade_dir: Path, tmp_path: Path, capsys: Any) -> None:
    # One real run; its results rendered at every width (timings differ from run to run).
    args = ["--data", str(handmade_dir), "bench", "-q", "wau,revenue", "-n", "1",
            "--out-dir", str(tmp_path / "b"), "--json-out", str(tmp_path / "r.json")]  # fmt: skip
    out = _run(args, None)
    # the progress bar lives on stderr: stdout (a file, a pipe) starts with the table itself
    assert out.splitlines()[0].strip().startswith("ducky bench"), out[:200]
    doc = json.loads((tmp_path / "r.json").read_text())
    piped = _render_bench(doc, None, capsys)
    want = _numbers(piped)
    assert "ducky bench (1 run each, after a warm-up)" in piped
    for r in doc["records"]:  # medians with their unit: "1.03 s" never reads as "1.03"
        s = r["median_s"]
        assert (f"{s * 1000:,.1f} ms" if s < 1 else f"{s:,.2f} s") in piped
    for w in WIDTHS:
        out = _render_bench(doc, w, capsys)
        assert "…" not in out
        missing = want - _numbers(out)
        assert not missing, f"at {w} columns lost {dict(missing)}:\n{out}"
        # paths are never folded, so they can be copied back whole
        assert f"chart: {doc['chart_path']}\n" in out and f"plans: {doc['plans_dir']}\n" in out


@pytest.mark.integration
def test_gen_describe_tables(shop: list[str]) -> None:
    _check_all_widths([*shop, "gen", "--describe"])


def test_show_rich_table_keeps_values_and_colours(capsys: Any, monkeypatch: Any) -> None:
    """`show_rich_table` is the one-line switch for commands that build a rich Table (rollup
    status): at 60 columns every value of a wide status table is still whole."""
    from rich.table import Table

    from ducky.tables import show_rich_table

    t = Table(title="rollups (postgres)")
    cols = ("query", "engine", "state", "built", "build", "rows", "size", "maintained")
    for col in cols:
        t.add_column(col, justify="right" if col in ("build", "rows", "size") else "left")
    t.add_row("wau", "postgres", "[green]fresh[/green]", "2025-03-31T23:59:41+00:00",
              "1.03 s", "1,234,567", "148.0 MB", "insert triggers")  # fmt: skip
    t.add_row("cohort", "postgres", "[red]stale[/red] (events changed)",
              "2025-03-30T10:00:00+00:00", "148.0 ms", "9,876", "0.1 MB",
              "insert triggers")  # fmt: skip
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "60")
    show_rich_table(t)
    out = ANSI.sub("", capsys.readouterr().out)
    for value in ("2025-03-31T23:59:41+00:00", "1.03 s", "1,234,567", "148.0 MB", "148.0 ms",
                  "9,876", "fresh", "insert triggers"):  # fmt: skip
        assert value in out, out
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 60


@pytest.mark.integration
def test_rollup_status_and_load_fit(generated_dir: Path, tmp_path: Path) -> None:
    """rollup status and load (duckdb by default now) print through the shared table printer."""
    import shutil

    data = tmp_path / "shop"
    shutil.copytree(generated_dir, data, ignore=shutil.ignore_patterns(".ducky"))
    shop = ["--data", str(data)]
    _run([*shop, "rollup", "build", "wau"], None)
    piped = _check_all_widths([*shop, "rollup", "status"])
    assert "wau" in piped and "fresh" in piped
    # load's timings differ run to run: check its row count stays whole at 60 columns.
    doc = json.loads(_run([*shop, "load", "--json"], None))
    out = _run([*shop, "load"], 60)
    assert f"{doc['rows']:,} rows" in out and "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 60


def test_ingest_report_tables(tmp_path: Path) -> None:
    """The ingest report's checks table names every check and its detail whole at 60/80
    columns and piped (it was a plain rich table: "produc…", "freshn…" at 80)."""
    seed = Path(__file__).resolve().parents[1] / "data" / "seed004"
    outs = {}
    for w in (*WIDTHS, None):
        data = tmp_path / f"d{w}"
        args = ["--data", str(data), "ingest", "--users", str(seed / "user_attributes.csv")]
        args += ["--events", str(seed / "user_events.csv"), "--mapping", str(seed / "mapping.yaml")]
        outs[w] = _run(args, w)
    for w, out in outs.items():
        assert "…" not in out, (w, out)
        assert "product_for_event" in out and "freshness" in out, (w, out)
        # the detail may fold at spaces on a narrow screen, never lose a word
        words = re.sub(r"[│┃]", " ", out).split()
        # (the age counts from today: any number of days)
        assert len(re.findall(r"is \d+ day\(s\) old \(limit 30\)", " ".join(words))) == 1, out
        assert _numbers(outs[None]) - _numbers(out) == Counter(), (w, out)


def _segment_doc() -> dict[str, Any]:
    seg = {
        "segment": "electronics_gaming",
        "users": 1_126,
        "confidence": 0.69,
        "kind": "label",
        "support": {"pc_components": 0.38, "video_games": 0.20},
        "agreeing_terms": ["gaming", "rtx", "headset"],
        "top_terms": ["gaming", "rtx", "headset", "cooler", "asus", "rog", "strix", "cpu"],
        "representative_queries": ["asus rog strix", "gaming headset", "corsair 4000d case"],
        "avg_order_value": 140.88,
    }
    other = {**seg, "segment": "other_language", "kind": "other_language", "users": 107}
    other |= {"confidence": 1.0, "top_terms": [], "avg_order_value": None}
    doc = {"k": 2, "users": 1_233, "model": "all-MiniLM-L6-v2", "segments": [seg, other]}
    return doc | {"run_id": "r1", "distinct_queries": 2_743, "embedded_now": 0, "embedder": "x"}


@pytest.mark.parametrize("width", [*WIDTHS, None])
def test_segment_summary_table(width: int | None, monkeypatch: Any, capsys: Any) -> None:
    """`ducky segment`'s table: names, counts, confidences and every term whole at 60/80/200
    columns and piped (a plain rich table cut them to "confid…", "pc_com…" at 80)."""
    from ducky.plugins.segment.cli import _print_summary

    monkeypatch.setenv("NO_COLOR", "1")
    if width is None:
        monkeypatch.setenv("TTY_COMPATIBLE", "0")
        monkeypatch.setenv("COLUMNS", "40")
    else:
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
        monkeypatch.setenv("COLUMNS", str(width))
    _print_summary(_segment_doc() | {"output": "/data/segments"})
    out = ANSI.sub("", capsys.readouterr().out)
    assert "…" not in out, out
    words = re.sub(r"[│┃]", " ", out).split()
    for whole in ("electronics_gaming", "other_language", "1,126", "69%", "140.88", "confidence"):
        assert whole in words or f"{whole}," in words, (whole, out)
    # free text folds at spaces (its lines interleave with the next column's), never mid-word
    want = "pc_components 38%, video_games 20% | gaming, rtx, headset corsair 4000d case strix;"
    assert not Counter(want.split()) - Counter(words), out
