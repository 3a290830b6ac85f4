"""`ducky cohort` through the real console entry point (subprocess): outputs and errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests import handmade, reference
from tests.cli_support import run_cli


# a whole `ducky cohort` run that draws both plots (matplotlib in a subprocess)
@pytest.mark.integration
def test_table_with_plots_and_csv(handmade_dir: Path, tmp_path: Path) -> None:
    heat, lines, tidy = tmp_path / "heat.png", tmp_path / "lines.png", tmp_path / "r.csv"
    r = run_cli(
        "--data", str(handmade_dir), "cohort",
        "--out", str(heat), "--lines", str(lines), "--csv", str(tidy),
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert r.code == 0, r.stderr
    rows = {line.split("│")[1].strip(): line for line in r.stdout.splitlines() if "│" in line}
    assert rows["2025-01"].split("│")[3].strip() == "100.0 %"
    # January's censored weeks 7-8 are "·", never "0.0 %"; week 6 is a real 0 %.
    assert [c.strip() for c in rows["2025-01"].split("│")[9:12]] == ["0.0 %", "·", "·"]
    assert [c.strip() for c in rows["avg (weighted)"].split("│")[3:5]] == ["83.3 %", "40.0 %"]
    assert "floor((event date - signup_date) / 7)" in r.stdout  # the definition footer
    assert "No signups in 2025-02" in r.stdout and "a trend needs at least 3" in r.stdout
    assert heat.stat().st_size > 10_000 and lines.stat().st_size > 10_000
    with tidy.open() as fh:
        got = list(csv.DictReader(fh))
    assert len(got) == 27 and got[0]["cohort_month"] == "2024-12-01"
    jan7 = next(g for g in got if g["cohort_month"] == "2025-01-01" and g["week"] == "7")
    assert jan7 == {
        "cohort_month": "2025-01-01", "cohort_size": "2", "week": "7",
        "retained": "0", "rate": "", "complete": "False",
    }  # fmt: skip


def test_json_is_tidy_with_definition_average_and_insights(handmade_dir: Path) -> None:
    r = run_cli("--data", str(handmade_dir), "--json", "cohort", "--event", "purchased")
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["columns"] == ["cohort_month", "cohort_size", "week", "retained", "rate", "complete"]
    want = reference.cohort(handmade.USERS, handmade.EVENTS, 8, "purchased")
    assert [(x["cohort_month"], x["week"], x["retained"], x["complete"]) for x in doc["rows"]] == [
        (w["cohort_month"].isoformat(), w["week"], w["retained"], w["complete"]) for w in want
    ]
    assert doc["definition"].startswith("Cohort retention:")
    assert doc["parameters"]["event_type"] == "purchased"
    # purchase-only week 0: Dec 1/3, Jan 0/2, Mar 0/1 -> 1/6
    assert doc["average"][0] == {"week": 0, "rate": pytest.approx(1 / 6), "users": 6, "cohorts": 3}
    # best/worst, trend, drop-off, curve shape, empty months, the noise rule
    assert len(doc["insights"]) == 6 and doc["insights"][-1].startswith("Noise rule:")


# two whole `ducky cohort` runs (Polars and SQL paths)
@pytest.mark.integration
def test_polars_csv_equals_sql_csv(handmade_dir: Path) -> None:
    args = ("--data", str(handmade_dir), "cohort", "--format", "csv", "--weeks", "4")
    sql, py = run_cli(*args), run_cli(*args, "--polars", "--from", "2024-12")
    assert sql.code == 0 and py.code == 0, sql.stderr + py.stderr
    rows = list(csv.DictReader(io.StringIO(sql.stdout)))
    assert len(rows) == 15 and {r["week"] for r in rows} == {"0", "1", "2", "3", "4"}
    assert py.stdout == sql.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--event", "clicked"), "error: no event named 'clicked' in the data"),
        (("--from", "2025-1"), "error: --from: '2025-1' is not a month (expected YYYY-MM"),
        (("--out", "heat.jpg"), "error: --out: 'heat.jpg' must end in .png"),
    ],
)
def test_errors_are_one_line_exit_2(
    handmade_dir: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    r = run_cli("--data", str(handmade_dir), "cohort", *args, cwd=tmp_path)
    assert r.code == 2
    assert r.stderr.strip().startswith(message) and len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.integration
def test_weeks_no_cohort_completed_are_said_not_drawn(handmade_dir: Path) -> None:
    # The December cohort is complete up to week 9 (last data day 2025-03-10): w10..w20 would
    # be columns of "·" only, a table part of their own on 80 columns.
    r = run_cli("--data", str(handmade_dir), "cohort", "--weeks", "20")
    assert r.code == 0, r.stderr
    header = next(ln for ln in r.stdout.splitlines() if "cohort" in ln and "w0" in ln)
    assert "w9" in header and "w10" not in header
    assert (
        "w10..w20: no cohort is complete there yet (not shown; --format csv or json lists every "
        "week)" in r.stdout
    )
    # the machine formats keep every week
    r = run_cli("--data", str(handmade_dir), "--json", "cohort", "--weeks", "20")
    assert max(row["week"] for row in json.loads(r.stdout)["rows"]) == 20
    # piped, an insight is one line, as the notes are
    r = run_cli("--data", str(handmade_dir), "cohort", env={"COLUMNS": "60"})
    bullets = [ln for ln in r.stdout.splitlines() if ln.startswith("• ")]
    assert bullets and max(len(b) for b in bullets) > 60  # not wrapped at COLUMNS
