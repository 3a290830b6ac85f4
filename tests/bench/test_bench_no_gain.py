"""The bench says, under its table and in its JSON, every variant that does not beat its
baseline, with the evidence of why from the two plans (issue 20: "the bench explains every
variant that does not help")."""

from __future__ import annotations

from typing import Any

from ducky.bench.results import BenchResults, Record, compute_speedups, no_gain


def _rec(engine: str, query: str, variant: str, s: float, bottleneck: str) -> Record:
    return Record(
        engine, query, variant, [s], s, s, s, 19, True, None, [], 0.0,
        f"/plans/{engine}/{query}.{variant}.json", f"/plans/{engine}/{query}.{variant}.txt",
        bottleneck,
    )  # fmt: skip


RECORDS = [
    # the figures and notes of the 10M run of 2026-12-06 (docs/BENCHMARKS.md)
    _rec("duckdb-native", "revenue", "baseline", 0.0473, "CTE: 32% of time"),
    _rec("duckdb-native", "revenue", "optimized", 0.0513, "CTE: 33% of time"),
    _rec("duckdb-native", "revenue", "rollup", 0.0042, "ORDER_BY: 68% of time"),
    _rec("duckdb", "revenue", "baseline", 0.0531, "CTE: 32% of time"),
    _rec("duckdb", "revenue", "optimized", 0.0263, "READ_PARQUET on events: 58% of time"),
    _rec("chdb", "cohort", "baseline", 0.4281, "chdb plan saved (no timing breakdown parsed)"),
    _rec("chdb", "cohort", "optimized", 0.4716, "chdb plan saved (no timing breakdown parsed)"),
    _rec("postgres", "revenue", "baseline", 0.510, "Seq Scan on events: 72% of time"),
    _rec("postgres", "revenue", "optimized", 0.490, "HashAggregate: 53% of time"),
    # 1.0995x prints as 1.10x: not flagged; an empty note says no plan was captured
    _rec("spark", "wau", "baseline", 1.0995, ""),
    _rec("spark", "wau", "optimized", 1.0, ""),
    _rec("spark", "revenue", "baseline", 1.0, ""),
    _rec("spark", "revenue", "optimized", 1.0, ""),
]


def test_every_variant_without_a_gain_is_named_with_its_evidence() -> None:
    compute_speedups(RECORDS)
    found = {(n["engine"], n["query"], n["variant"]): n for n in no_gain(RECORDS)}
    # 2.0x and 11-12x are gains; 0.92x, 0.91x and 1.04x are not
    assert sorted(found) == [
        ("chdb", "cohort", "optimized"),
        ("duckdb-native", "revenue", "optimized"),
        ("postgres", "revenue", "optimized"),
        ("spark", "revenue", "optimized"),
    ]
    assert found[("spark", "revenue", "optimized")]["why"] == "no plan was captured for it"
    native = found[("duckdb-native", "revenue", "optimized")]
    assert native["speedup_vs_baseline"] == 0.92
    assert native["line"] == (
        "no gain: duckdb-native revenue optimized is 0.92x its baseline (51.3 ms vs 47.3 ms): "
        "the same heaviest step as the baseline (CTE: 33% of time vs CTE: 32% of time): the "
        "optimized text leaves the cost where it was"
    )
    pg = found[("postgres", "revenue", "optimized")]
    assert pg["why"] == (
        "heaviest step HashAggregate: 53% of time; the baseline's: Seq Scan on events: 72% of time"
    )
    ch = found[("chdb", "cohort", "optimized")]
    assert "no per-step timings" in ch["why"]
    assert "/plans/chdb/cohort.optimized.txt and /plans/chdb/cohort.baseline.txt" in ch["why"]


def test_the_lines_are_printed_under_the_table_whole(capsys: Any, monkeypatch: Any) -> None:
    from ducky.bench.table import print_results

    compute_speedups(RECORDS)
    results = BenchResults(
        created="2026-12-06T03:25:00+00:00", data="/tmp/d", dataset={"events": 9_999_730},
        machine={}, repeat=3, engines={}, parameters={}, records=RECORDS,
        no_gain=no_gain(RECORDS),
    )  # fmt: skip
    monkeypatch.setenv("NO_COLOR", "1")
    print_results(results)
    out = capsys.readouterr().out
    for n in results.no_gain:
        assert n["line"] in out  # piped: notes are not folded
    assert out.count("no gain:") == 4


def test_titles_count_runs_in_words_a_reader_expects() -> None:
    from ducky.bench.runner import _chart_title

    def results(repeat: int) -> BenchResults:
        return BenchResults(
            created="2026-12-06T03:25:00+00:00", data="/tmp/d", dataset={"events": 9_999_730},
            machine={}, repeat=repeat, engines={}, parameters={}, records=[],
        )  # fmt: skip

    assert _chart_title(results(1)) == "ducky bench: 9,999,730 events, one run (after a warm-up)"
    assert _chart_title(results(3)) == "ducky bench: 9,999,730 events, median of 3 runs"
