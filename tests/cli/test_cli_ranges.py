"""Issue 18: `--from/--to` inclusive (whole months) in query revenue; one engine default; --dsn."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_support import run_cli


def _revenue(data: Path, *args: str) -> list[dict[str, object]]:
    r = run_cli("--data", str(data), "--json", "query", "revenue", *args)
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    return list(doc["rows"] if isinstance(doc, dict) and "rows" in doc else doc)


def test_revenue_month_range_is_inclusive(handmade_dir: Path) -> None:
    # --from M --to M is the whole month M, never an empty half-open range.
    whole = _revenue(handmade_dir)
    assert whole
    assert _revenue(handmade_dir, "--from", "1900-01", "--to", "2100-12") == whole
    r = run_cli(
        "--data", str(handmade_dir), "query", "revenue", "--from", "2000-01", "--to", "2000-01"
    )
    # Outside the data entirely: one line naming the data's range, exit 2 (as cohort, segment).
    assert r.code == 2 and "the data covers" in r.stderr
    assert r.stderr.count("\n") == 1


def test_reversed_range_is_one_line_exit_2(handmade_dir: Path) -> None:
    r = run_cli(
        "--data", str(handmade_dir), "query", "revenue", "--from", "2025-04", "--to", "2025-03"
    )
    assert r.code == 2
    assert r.stderr.strip().splitlines() == ["error: --from 2025-04 is after --to 2025-03"]


def test_load_and_rollup_default_to_duckdb() -> None:
    for cmd in (["load", "--help"], ["rollup", "status", "--help"]):
        r = run_cli(*cmd)
        assert r.code == 0 and "[default: duckdb]" in r.stdout, cmd


def test_dsn_option_everywhere() -> None:
    for cmd in ("query", "cohort", "audience", "serve", "bench"):
        r = run_cli(cmd, "--help")
        assert "--dsn" in r.stdout, cmd


def test_segment_index_name_and_hidden_alias() -> None:
    r = run_cli("segment", "--help")
    assert "--index" in r.stdout and "--es-index" not in r.stdout


def test_segment_range_is_inclusive() -> None:
    import datetime as dt

    import pytest

    from ducky.errors import UserError
    from ducky.plugins.segment.cli import _search_range

    feb = (dt.datetime(2025, 2, 1), dt.datetime(2025, 3, 1))
    assert _search_range("2025-02", "2025-02") == feb
    assert _search_range("2025-02-01", "2025-02-28") == feb
    # A time of day is an exact instant, as before.
    assert _search_range("2025-02-01T12:00:00", None) == (dt.datetime(2025, 2, 1, 12), None)
    with pytest.raises(UserError, match="after"):
        _search_range("2025-03", "2025-02")
