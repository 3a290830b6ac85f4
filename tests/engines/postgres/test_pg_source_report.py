"""`ducky report` on a `postgresql://` source, read in place: the same figures as on the data
directory holding the same hand-made rows, the password nowhere in the page, and the shop's
database left exactly as found."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.engines.postgres.test_pg_safety import snapshot
from tests.engines.postgres.test_pg_source import _fill

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop(pg_fresh_dsn: Callable[[], str]) -> str:
    dsn = pg_fresh_dsn()
    _fill(dsn)
    return dsn


def _sections(html: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([^"]+)"[^>]*>(.*?)</section>', html, re.S))


def _figures(html: str) -> list[str]:
    """The numbers a section shows, in order (images stripped: a PNG's bytes are no figure)."""
    text = re.sub(r'src="data:[^"]*"', "", html)
    return re.findall(r"\d[\d,]*(?:\.\d+)?", text)


def test_report_equals_the_data_directory(shop: str, handmade_dir: Path, tmp_path: Path) -> None:
    before = snapshot(shop)
    out_pg, out_dir = tmp_path / "pg.html", tmp_path / "dir.html"
    r = run_cli("--data", shop, "report", "--out", str(out_pg))
    assert r.code == 0, r.stderr
    d = run_cli("--data", str(handmade_dir), "report", "--out", str(out_dir))
    assert d.code == 0, d.stderr
    got, want = out_pg.read_text(), out_dir.read_text()
    assert snapshot(shop) == before
    g, w = _sections(got), _sections(want)
    # The same evidence sections, except the ingest-quality one (neither was ingested).
    assert set(g) == set(w) - {"quality"}
    # The dataset section: the directory's manifest and the source's summary agree on the
    # three tables' row counts and the first and last event.
    kpi = r'<div class="kpi">(\w+)<b>([\d,]+)</b>'
    want_kpis = [k for k in re.findall(kpi, w["dataset"]) if k[0] != "search_logs"]
    assert re.findall(kpi, g["dataset"]) == want_kpis
    assert dict(want_kpis)["events"] != "0"
    span = r"events from (\S+) to (\S+) \(UTC\)"
    assert re.findall(span, g["dataset"]) == re.findall(span, w["dataset"])
    # Every other section shows the same figures (WAU, revenue, cohort, business facts).
    for sid in sorted(set(g) - {"dataset"}):
        assert _figures(g[sid]) == _figures(w[sid]), sid
    # The strategy brief (before the evidence) carries the same numbers too.
    brief = r'<section id="brief"(.*?)<h1 class="evidence">'
    got_brief, want_brief = re.search(brief, got, re.S), re.search(brief, want, re.S)
    assert got_brief is not None and want_brief is not None
    assert _figures(got_brief.group(1)) == _figures(want_brief.group(1))
    # The page names the source (not ducky's local state folder) and the engine that ran.
    assert f"Source {shop.split('@')[0].rsplit(':', 1)[0]}@{shop.split('@')[1]}" in got
    assert "engine postgres" in got


def test_report_never_shows_the_password(shop: str, tmp_path: Path) -> None:
    # The fixture's URL carries the server's real password (postgresql://user:pw@host/db).
    password = shop.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert len(password) >= 8
    out = tmp_path / "r.html"
    r = run_cli("--data", shop, "--json", "report", "--out", str(out))
    assert r.code == 0, r.stderr
    html = out.read_text()
    assert password not in html + r.stdout + r.stderr
    assert shop.rsplit("/", 1)[1] in html  # the database is named, only without its password
