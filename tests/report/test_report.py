"""`ducky report`: a self-contained page, checked structurally and rendered in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import run_cli

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report_html(handmade_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    r = run_cli("--data", str(handmade_dir), "report", "--out", str(out))
    assert r.code == 0, r.stderr
    assert f"report written to {out}" in r.stdout
    return out


# a whole `ducky report` run (matplotlib charts, every section) (module fixture)
@pytest.mark.integration
def test_report_is_self_contained(report_html: Path) -> None:
    text = report_html.read_text()
    assert text.startswith("<!doctype html>")
    # nothing to fetch: every image is inlined, no external stylesheet or script
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "<script" not in text
    imgs = re.findall(r'<img alt="[^"]*" src="([^"]{0,30})', text)
    assert imgs and all(s.startswith("data:image/png;base64,") for s in imgs)


# a whole `ducky report` run (matplotlib charts, every section) (module fixture)
@pytest.mark.integration
def test_report_sections_carry_real_results(report_html: Path) -> None:
    text = report_html.read_text()
    for section in ("dataset", "metrics", "bench", "cohort", "definitions"):
        assert f'<section id="{section}"' in text
    # revenue of the hand-made data, as computed by the engine
    assert '<td>electronics</td><td>USD</td><td class="num">250.50</td>' in text
    # pieces that were not run are marked as such, with the command to run
    assert 'data-ran="false"' in text and "Not run:" in text
    assert "never 0 %" in text  # cohort definition printed


# starts headless Chromium on a whole `ducky report` run (matplotlib charts, every section)
@pytest.mark.integration
def test_report_renders_in_headless_chromium(report_html: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is installed by scripts/install-system-deps.sh (make test)"
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            report_html.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    import matplotlib.image as mpimg
    import numpy as np

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] == 1600 and pixels.shape[1] == 1200
    gray = pixels[..., :3].mean(axis=2)
    # not blank: a real page has text and a chart, so many pixels differ from the background
    background = np.median(gray)
    assert (np.abs(gray - background) > 0.1).mean() > 0.02
    assert gray.std() > 0.05


def test_report_on_missing_data_dir_is_one_line(tmp_path: Path) -> None:
    r = run_cli("--data", str(tmp_path / "none"), "report")
    assert (
        r.code == 2
        and r.stderr.startswith("error: data directory")
        and len(r.stderr.splitlines()) == 1
    )


# `ducky ingest` then a whole `ducky report` run (matplotlib charts, every section)
@pytest.mark.integration
def test_report_includes_ingest_quality(tmp_path: Path) -> None:
    ingest = Path(__file__).parents[1] / "data" / "ingest"
    data = tmp_path / "shop"
    r = run_cli(
        "--data", str(data), "ingest",
        "--users", str(ingest / "users.csv"),
        "--products", str(ingest / "products.json"),
        "--events", str(ingest / "events.ndjson"),
        "--mapping", str(ingest / "map.yaml"),
        "--fail-on", "never",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    out = tmp_path / "report.html"
    r = run_cli("--data", str(data), "report", "--out", str(out))
    assert r.code == 0, r.stderr
    text = out.read_text()
    assert '<section id="quality" data-ran="true"><h2>Ingest data quality</h2><table>' in text
    # the accounting of that ingest (13 user rows in: 4 loaded, 8 quarantined, 1 duplicate)
    assert "<td>users</td><td>13</td><td>4</td>" in text
