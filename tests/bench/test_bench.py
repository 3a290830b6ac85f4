"""`ducky bench` end to end (real engines, real plans) and its building blocks.

Speed is never asserted here: these tests check the JSON schema, parity enforcement, plan
parsing on plans the engines really produced, the chart, and bad input.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ducky.bench import plans
from ducky.bench.results import RECORD_KEYS, SCHEMA, validate_document
from ducky.bench.runner import compare_rows
from ducky.datasets import DataDir
from ducky.engines import open_engine
from ducky.engines.base import classify_setup, split_statements
from tests.cli_support import run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPECTED_ROWS = {"wau": 7, "revenue": 3, "cohort": 27}  # on the hand-made data


@pytest.fixture(scope="module")
def duckdb_run(handmade_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One tiny real bench run over both DuckDB engines, every query and variant."""
    out = tmp_path_factory.mktemp("bench-out")
    r = run_cli(
        "--data", str(handmade_dir), "bench", "-e", "duckdb,duckdb-native", "--repeat", "1",
        "--out", str(out / "bench"), "--json", str(out / "copy.json"),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    return {"out": out / "bench", "copy": out / "copy.json", "stdout": r.stdout}


# a whole `ducky bench` run (module fixture)
@pytest.mark.integration
def test_bench_json_schema_from_a_real_run(duckdb_run: dict[str, Any]) -> None:
    doc = json.loads((duckdb_run["out"] / "latest.json").read_text())
    assert validate_document(doc) == []
    assert doc["schema"] == SCHEMA
    assert json.loads(duckdb_run["copy"].read_text()) == doc
    assert doc["dataset"]["events"] > 0 and doc["repeat"] == 1
    records = doc["records"]
    keys = {(r["engine"], r["query"], r["variant"]) for r in records}
    assert keys == {
        (e, q, v)
        for e in ("duckdb", "duckdb-native")
        for q in EXPECTED_ROWS
        for v in ("baseline", "optimized", "rollup")
    }
    for r in records:
        assert set(RECORD_KEYS) <= set(r)
        assert r["parity"] is True and r["parity_detail"] is None
        assert r["rows"] == EXPECTED_ROWS[r["query"]]
        assert len(r["runs"]) == 1 and r["min_s"] <= r["median_s"] <= r["max_s"]
        assert 0 < r["speedup_vs_fastest"] <= 1.0
        stages = {s["stage"] for s in r["stages"]}
        assert {"connect", "load", "query", "server"} <= stages
        assert Path(r["plan_path"]).is_file() and Path(r["plan_text_path"]).is_file()
        assert Path(r["plan_path"]).name == f"{r['query']}.{r['variant']}.json"
        assert "% of time" in r["bottleneck"]
        if r["variant"] == "baseline":
            assert r["speedup_vs_baseline"] == pytest.approx(1.0)
        if r["variant"] == "rollup":  # the rollup's build is reported as stages with sizes
            built = [s for s in r["stages"] if s["stage"] == "rollup"]
            assert built and all(s["detail"]["rows"] > 0 for s in built)
            assert r["setup_s"] > 0
    # Per query, the fastest record has speedup_vs_fastest == 1.
    for q in EXPECTED_ROWS:
        assert max(r["speedup_vs_fastest"] for r in records if r["query"] == q) == 1.0


# a whole `ducky bench` run (module fixture)
@pytest.mark.integration
def test_bench_chart_is_a_real_png(duckdb_run: dict[str, Any]) -> None:
    import matplotlib.image as mpimg

    chart = duckdb_run["out"] / "chart.png"
    assert chart.read_bytes()[:8] == PNG_MAGIC
    img = mpimg.imread(chart)
    assert img.shape[0] > 300 and img.shape[1] > 500
    assert img[..., :3].std() > 0.05  # bars and text, not a blank canvas


# a whole `ducky bench` run (module fixture)
@pytest.mark.integration
def test_bench_table_on_screen(duckdb_run: dict[str, Any]) -> None:
    out = duckdb_run["stdout"]
    assert "ducky bench" in out and "duckdb-native" in out and "rollup" in out


# a whole `ducky bench` run (module fixture)
@pytest.mark.integration
def test_duckdb_plans_parse_into_notes(duckdb_run: dict[str, Any]) -> None:
    """The saved JSON and text plans of the real run parse to the same operator set."""
    for path in sorted((duckdb_run["out"] / "plans" / "duckdb").glob("*.json")):
        from_json = plans.parse_duckdb_json(json.loads(path.read_text()))
        from_text = plans.parse_duckdb_text(path.parent.joinpath(path.stem + ".txt").read_text())
        assert from_json.operators and from_text.operators, path.name
        assert from_json.total_s is not None and from_json.total_s > 0
        assert from_text.total_s is not None and from_text.total_s > 0
        # Scans are named after what they read: the Parquet data set or a rollup table.
        read = {o.label.split(" on ")[1] for o in from_json.operators if " on " in o.label}
        if ".rollup." in path.name:
            assert any(t.startswith("rollup_") for t in read), (path.name, read)
        else:
            assert "events" in read, (path.name, read)
        note = from_json.note()
        assert note.endswith("% of time") or "% of time;" in note


# a whole `ducky bench` run
@pytest.mark.integration
def test_parity_mismatch_fails_loudly(handmade_dir: Path, tmp_path: Path) -> None:
    """A variant that returns wrong rows makes bench exit non-zero with one clear line."""
    sql_dir = tmp_path / "sql"
    (sql_dir / "wau").mkdir(parents=True)
    good = (Path(__file__).parents[2] / "src/ducky/sql/wau/baseline.sql").read_text()
    (sql_dir / "wau" / "broken.sql").write_text(
        good.replace("CAST(COUNT(DISTINCT user_id) AS BIGINT)", "CAST(COUNT(user_id) AS BIGINT)")
    )
    out = tmp_path / "bench"
    r = run_cli(
        "--data", str(handmade_dir), "bench", "-e", "duckdb", "-q", "wau",
        "-V", "baseline,broken", "-n", "1", "--sql-dir", str(sql_dir), "--out", str(out),
    )  # fmt: skip
    assert r.code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: parity mismatch: duckdb/wau/broken returned different")
    assert "duckdb/wau/baseline" in lines[0] and "active_users" in lines[0]
    doc = json.loads((out / "latest.json").read_text())  # results are still written, flagged
    parity = {r["variant"]: r["parity"] for r in doc["records"]}
    assert parity == {"baseline": True, "broken": False}


# a whole `ducky bench` run
@pytest.mark.integration
def test_sql_dir_variant_that_matches_passes(handmade_dir: Path, tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    (sql_dir / "revenue").mkdir(parents=True)
    shutil.copy(
        Path(__file__).parents[2] / "src/ducky/sql/revenue/baseline.sql",
        sql_dir / "revenue" / "mine.sql",
    )
    r = run_cli(
        "--data", str(handmade_dir), "--json", "bench", "-e", "duckdb", "-q", "revenue",
        "-V", "mine", "-n", "1", "--sql-dir", str(sql_dir), "--out", str(tmp_path / "b"),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [(x["variant"], x["parity"], x["rows"]) for x in doc["records"]] == [("mine", True, 3)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-e", "oracle"], "unknown bench engine 'oracle'"),
        (["-q", "dau"], "unknown query 'dau'"),
        (["-V", "fastest"], "unknown variant 'fastest'"),
    ],
)
def test_bad_input_is_one_line(
    handmade_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    r = run_cli("--data", str(handmade_dir), "bench", *args, "--out", str(tmp_path / "b"))
    assert r.code == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert message in r.stderr
    assert not (tmp_path / "b" / "latest.json").exists()


def test_missing_data_dir_is_one_line(tmp_path: Path) -> None:
    r = run_cli("--data", str(tmp_path / "nope"), "bench", "-e", "duckdb")
    assert r.code == 2 and r.stderr.startswith("error: data directory")


@pytest.mark.postgres
@pytest.mark.integration
def test_bench_on_postgres_parity_and_real_plans(
    handmade_dir: Path, pg_dsn: str, tmp_path: Path
) -> None:
    out = tmp_path / "bench"
    r = run_cli(
        "--data", str(handmade_dir), "bench", "-e", "postgres", "-n", "1", "--out", str(out),
        env={"DUCKY_PG_DSN": pg_dsn},
    )  # fmt: skip
    assert r.code == 0, r.stderr
    doc = json.loads((out / "latest.json").read_text())
    assert validate_document(doc) == []
    assert len(doc["records"]) == 9 and all(x["parity"] for x in doc["records"])
    for rec in doc["records"]:
        plan = json.loads(Path(rec["plan_path"]).read_text())
        summary = plans.parse_postgres_json(plan)
        assert summary.total_s is not None and summary.operators
        assert "% of time" in rec["bottleneck"]
    rollup = next(x for x in doc["records"] if (x["query"], x["variant"]) == ("wau", "rollup"))
    built = {s["detail"]["object"]: s["detail"] for s in rollup["stages"] if s["stage"] == "rollup"}
    assert built["rollup_user_week"]["rows"] == 13 and built["rollup_user_week"]["bytes"] > 0
    # The bench's PostgreSQL rollup is the maintained one: its insert trigger was timed against
    # no trigger on the (rolled back) insert of the latest events, here all 18 of them.
    for rec in (x for x in doc["records"] if x["variant"] == "rollup"):
        (maintain,) = [s for s in rec["stages"] if s["stage"] == "maintain"]
        d = maintain["detail"]
        assert d["rows"] == 18 and d["with_trigger_s"] > 0 and d["without_trigger_s"] > 0
        assert d["with_trigger_rows_per_s"] == pytest.approx(18 / d["with_trigger_s"], rel=1e-3)
    # ...and the comparison rows put baseline, indexes and rollup side by side with their costs.
    comp = {c["query"]: c for c in doc["comparisons"]}
    assert set(comp) == {"wau", "revenue", "cohort"}
    wau = comp["wau"]
    assert wau["engine"] == "postgres" and wau["insert_rows"] == 18
    # The speedup is the two medians' ratio rounded to 2 decimals (a relative tolerance failed when
    # a fast baseline made the ratio 0.355 -> 0.36); JSON keeps the floats, so this is exact.
    assert round(wau["baseline_s"] / wau["optimized_s"], 2) == wau["optimized_speedup"]
    assert wau["optimized_bytes"] > 0 and wau["rollup_bytes"] > 0 and wau["rollup_build_s"] > 0
    with open_engine("postgres", DataDir(handmade_dir), dsn=pg_dsn) as eng:
        from ducky.engines.postgres.rollups import PostgresRollups

        assert PostgresRollups(eng).status("wau").state == "fresh"  # measuring changed nothing
        assert eng.run("SELECT COUNT(*) FROM events").column(0)[0].as_py() == 18
    assert "no trigger → trigger" in r.stdout  # the comparison table is on screen


@pytest.mark.postgres
@pytest.mark.integration
def test_postgres_spills_are_named(handmade_dir: Path, pg_dsn: str, tmp_path: Path) -> None:
    """Real PostgreSQL plans with a forced external sort and a spilled hash aggregate."""
    with open_engine("postgres", DataDir(handmade_dir), dsn=pg_dsn) as eng:
        eng.load()
        eng.execute("SET work_mem = '64kB'")
        eng.execute("SET enable_hashagg = off")
        big = "SELECT g, md5(g::text) AS h FROM generate_series(1, 20000) AS g ORDER BY h"
        sort = plans.capture(eng, big, tmp_path / "sort")
        eng.execute("SET enable_hashagg = on")
        eng.execute("SET enable_sort = off")
        agg = "SELECT md5(g::text) AS h, count(*) FROM generate_series(1, 50000) AS g GROUP BY 1"
        hashed = plans.capture(eng, agg, tmp_path / "agg")
        eng.reset_settings()
    assert sort.path is not None and sort.path.is_file()
    assert "Sort external merge" in sort.note, sort.note
    assert "HashAggregate spilled to disk" in hashed.note, hashed.note


def test_plan_notes_name_the_dominant_operator() -> None:
    s = plans.PlanSummary(
        operators=[plans.Operator("Seq Scan on events", 9.2), plans.Operator("Sort", 0.8)]
    )
    assert s.note() == "Seq Scan on events: 92% of time"


def test_compare_rows_tolerance_and_order() -> None:
    a = [{"k": 1, "v": 0.1 + 0.2}, {"k": 2, "v": Decimal("1.50")}]
    assert compare_rows([{"k": 1, "v": 0.3}, {"k": 2, "v": 1.5}], a) is None
    assert compare_rows(list(reversed(a)), a) is not None  # order is part of the metric
    assert compare_rows(a, a[:1]) == "1 rows != 2"
    assert "row 1 v" in str(compare_rows([{"k": 1, "v": 0.31}, a[1]], a))
    assert compare_rows([{"k": True}], [{"k": 1}]) is not None  # bool is not an int here


def test_setup_files_split_and_classify() -> None:
    text = """-- comment; not a statement end
CREATE INDEX IF NOT EXISTS ducky_opt_x ON events (user_id);
DO $$ BEGIN
  PERFORM 1;
END $$;
CREATE TABLE rollup_t AS SELECT 1;
VACUUM (ANALYZE) events;
SET work_mem = '256MB'
"""
    stmts = split_statements(text)
    assert len(stmts) == 5
    assert "PERFORM 1;" in stmts[1]
    kinds = [classify_setup(s) for s in stmts]
    assert kinds == [
        ("index", "ducky_opt_x"),
        ("setup", None),
        ("rollup", "rollup_t"),
        ("analyze", None),
        ("setup", None),
    ]


def test_postgres_wau_index_matches_the_rendered_query() -> None:
    """The optimized query groups by the stored week column, which the narrow index keys on
    (no INCLUDE payload, so B-tree deduplication applies)."""
    from ducky import sql as canonical_sql
    from ducky.engines.base import setup_statements

    rendered = canonical_sql.render("wau", "postgres", "optimized", pretty=False)
    assert "ducky_week AS week_start, user_id" in rendered
    from ducky.engines.postgres.types import stored_columns_sql

    setup = setup_statements("wau", "optimized", "postgres")
    assert not any("ALTER" in s.upper().split("--")[0] for s in setup)  # the load adds it
    (column,) = stored_columns_sql("events", "events")
    assert "GENERATED ALWAYS AS (CAST(DATE_TRUNC('week', \"timestamp\") AS DATE)) STORED" in column
    index = next(s for s in setup if "week_user" in s)
    assert "ON events (ducky_week, user_id);" in index or index.rstrip(";").endswith(
        "(ducky_week, user_id)"
    )
