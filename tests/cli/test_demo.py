"""`ducky demo`: the README's first quickstart command, end to end at a small scale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import run_cli


def _postgres_processes(root: Path) -> list[str]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "postgres" in cmd and str(root) in cmd:
            out.append(cmd)
    return out


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.model
@pytest.mark.es
def test_demo_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = run_cli("--data", str(data), "demo", "--months", "3", "--scale", "0.02", "--repeat", "1")
    assert r.code == 0, r.stderr[-3000:]
    # every piece of the report ran on real results
    html = (data / "report.html").read_text()
    for section in ("dataset", "metrics", "bench", "cohort", "segments"):
        assert f'<section id="{section}" data-ran="true"' in html, section
    bench = json.loads((data / "bench" / "latest.json").read_text())
    records = bench["records"]
    assert {r["engine"] for r in records} == {"duckdb", "duckdb-native", "postgres"}
    assert all(r["parity"] for r in records)
    assert (data / "cohort" / "heatmap.png").stat().st_size > 10_000
    assert (data / "segments" / "projection.png").stat().st_size > 10_000
    summary = json.loads((data / "segments" / "summary.json").read_text())
    assert summary["users"] > 0 and len(summary["segments"]) >= 2
    # the demo stops the local PostgreSQL it started
    assert _postgres_processes(data) == []
