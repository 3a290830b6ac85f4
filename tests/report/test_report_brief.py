"""The one-page strategy brief: written from the run's results, every number traceable to the
evidence below it, alone on the first page of the PDF printed by headless Chromium; and on a
shop that came through `ducky ingest` (real-shaped data)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import run_cli

# Each fixture runs whole commands end to end (bench, segment, report --pdf in headless Chromium,
# ingest): about half a minute of CPU, so `make test` runs it and `make test-fast` does not.
pytestmark = pytest.mark.integration

NUM = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")
PARTS = ("Business summary", "Optimizations made", "Retention insights", "Segmentation rationale")


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def split(page: str) -> tuple[str, str]:
    """(brief text, evidence text) of a report page."""
    start = page.index('<section id="brief"')
    end = page.index("</section>", start)
    return text_of(page[start:end]), text_of(page[end:])


def pdf_pages(pdf: Path) -> list[str]:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils is installed by scripts/install-system-deps.sh"
    out = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True)
    return [re.sub(r"\s+", " ", p) for p in out.stdout.split("\f") if p.strip()]


@pytest.fixture(scope="module")
def shop(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the generated shop with a DuckDB bench run and a segmentation run."""
    data = tmp_path_factory.mktemp("brief") / "shop"
    shutil.copytree(generated_dir, data)
    r = run_cli("--data", str(data), "bench", "-e", "duckdb", "-n", "1")
    assert r.code == 0, r.stderr
    r = run_cli("--data", str(data), "segment")
    assert r.code == 0, r.stderr
    return data


@pytest.fixture(scope="module")
def report(shop: Path) -> tuple[str, Path]:
    out = shop.parent / "report.html"
    r = run_cli("--data", str(shop), "report", "--out", str(out), "--pdf")
    assert r.code == 0, r.stderr
    assert f"PDF written to {out.with_suffix('.pdf')}" in r.stdout
    return out.read_text(), out.with_suffix(".pdf")


def test_brief_leads_with_the_three_topics_and_the_business_summary(
    report: tuple[str, Path],
) -> None:
    page, _ = report
    brief, _ = split(page)
    assert page.index('<section id="brief"') < page.index('<section id="dataset"')
    for title in PARTS:
        assert title in brief
    start = page.index('<section id="brief"')
    assert 'data-ran="false"' not in page[start : page.index("</section>", start)]  # all ran
    assert "Recommendation:" in brief and "Action:" in brief
    # a retention action, timed by the first loss beyond noise (week 0 -> 1 when no later
    # week's loss is beyond noise, as on this 3-month shop)
    assert "re-engagement" in brief and "after signup" in brief
    # buyers / viewers (distinct users), labelled so it is not read as event conversion
    assert "viewers who bought" in brief and "view \u2192 purchase" not in brief


def test_every_number_in_the_brief_is_in_the_evidence(report: tuple[str, Path]) -> None:
    brief, evidence = split(report[0])
    numbers = NUM.findall(brief)
    assert len(numbers) > 60  # a brief with figures, not a page of generalities
    missing = sorted({n for n in numbers if n not in evidence})
    assert not missing, f"numbers in the brief but in no table below: {missing}"


def test_brief_numbers_equal_the_results(shop: Path, report: tuple[str, Path]) -> None:
    """Cross-check the brief's key figures against independently computed results."""
    import json

    import duckdb

    from ducky.cohort import compute
    from ducky.datasets import DataDir
    from ducky.queries import run_query

    brief, evidence = split(report[0])
    dd = DataDir(shop)
    # revenue and orders: the canonical revenue query (one order per purchase here)
    rev = run_query(dd, "revenue", "duckdb").to_pylist()
    total = sum(float(r["revenue"]) for r in rev)
    purchases = sum(int(r["purchases"]) for r in rev)
    assert f"Revenue {total:,.2f} " in brief
    assert f"from {purchases:,} orders" in brief
    assert f"average order value {total / purchases:,.2f}" in brief
    con = duckdb.connect()
    ev = f"read_parquet('{dd.table_glob('events')}')"
    who: dict[str, set[int]] = {}
    for uid, kind in con.execute(f"SELECT user_id, event_type FROM {ev}").fetchall():
        who.setdefault(kind, set()).add(uid)
    # nested steps: viewers, viewers who carted, viewers who carted and bought
    v = who["viewed"]
    c = v & who["add-to-cart"]
    p = c & who["purchased"]
    assert p and len(p) < len(c) < len(v)
    funnel = (
        f"Funnel: {len(v):,} users viewed a product; {len(c):,} of them added to cart "
        f"({100 * len(c) / len(v):.1f} %) and {len(p):,} of those purchased "
        f"({100 * len(p) / len(c):.1f} %; {100 * len(p) / len(v):.1f} % of viewers)."
    )
    assert funnel in brief, brief
    repeat = con.execute(
        f"SELECT COUNT(*) FILTER (WHERE n >= 2), COUNT(*) FROM (SELECT user_id, COUNT(*) AS n "
        f"FROM {ev} WHERE event_type = 'purchased' GROUP BY 1)"
    ).fetchone()
    assert repeat is not None
    assert f"Repeat purchase rate {100 * repeat[0] / repeat[1]:.1f} %" in brief
    # retention: the cohort module's own best/worst at week 4 and biggest drop
    cohort = compute(dd)
    for sentence in cohort.insights:
        if sentence.startswith("Week 4: the best cohort is"):
            m = re.search(
                r"is (\S+) \(([\d.]+ %) of ([\d,]+)\), the worst is (\S+) \(([\d.]+ %)", sentence
            )
            assert m
            assert f"best cohort {m[1]} ({m[2]} of {m[3]}), worst {m[4]} ({m[5]}" in brief
    # segmentation: the method (k-means, silhouette, ARI) is evidence, not manager prose
    seg = json.loads((shop / "segments" / "summary.json").read_text())
    sil = seg["silhouette"][str(seg["k"])]
    method = f"k = {seg['k']}, the smallest k whose silhouette ({sil:.4f}) is within noise"
    assert method in evidence and method not in brief
    for jargon in ("k-means", "silhouette", "ARI", "least-squares", "terms_"):
        assert jargon not in brief, jargon
    # the 3 segments with the most revenue and the 4 largest by users get a line each, under
    # their human names; the rest are counted and their actions are in the evidence
    from ducky.report.segments_section import human_name

    rev = {}
    for row in duckdb.sql(
        f"SELECT s.segment, SUM(p.price) FROM read_parquet('{shop}/segments/segments.parquet') s "
        f"JOIN {ev} e ON e.user_id = s.user_id AND e.event_type = 'purchased' "
        f"JOIN read_parquet('{dd.table_glob('products')}') p USING (product_id) GROUP BY 1"
    ).fetchall():
        rev[row[0]] = row[1]
    by_size = sorted(seg["segments"], key=lambda s: -s["users"])
    by_rev = sorted(seg["segments"], key=lambda s: -rev.get(s["segment"], 0.0))
    listed = {s["segment"] for s in by_size[:4]} | {s["segment"] for s in by_rev[:3]}
    for s in seg["segments"]:
        name = human_name(s)
        line = f"{name}: {s['users']:,} users"
        assert (line in brief) == (s["segment"] in listed), line
        assert f"{name} ({s['segment']}): " in evidence  # its reading and action, below
    assert f"The other {len(seg['segments']) - len(listed)} segments: same figures" in brief
    assert evidence.count("Action: ") >= len(seg["segments"])
    # optimizations: each bench record's median appears for its engine/query
    bench = json.loads((shop / "bench" / "latest.json").read_text())
    for rec in bench["records"]:
        if rec["variant"] == "baseline":
            from ducky.report.fmt import dur

            assert f"{rec['query']}: baseline {dur(rec['median_s'])}" in brief
    # one run per variant (`bench -n 1`, milliseconds): noise, so nothing is recommended and no
    # DDL is offered (optimize.MIN_RUNS / MIN_BASELINE_S)
    assert "DDL to apply" not in evidence
    assert "apply the" not in brief
    assert "not enough evidence to recommend a variant (1 run (need 3))" in brief


def test_pdf_first_page_is_the_whole_brief(report: tuple[str, Path]) -> None:
    page, pdf = report
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    first = pages[0]
    assert "Strategy brief" in first and "Evidence" not in first
    for title in PARTS:
        assert title in first
    # the brief's last line is on page 1 too: the brief fits on one printed page
    brief, _ = split(page)
    tail = brief.strip().split(" ")[-6:]
    assert " ".join(tail)[-30:].replace(" ", "") in first.replace(" ", "")
    assert pages[1].lstrip().startswith("Evidence")


def test_pdf_without_chromium_is_one_line(shop: Path, tmp_path: Path) -> None:
    r = run_cli(
        "--data", str(shop), "report", "--out", str(tmp_path / "r.html"), "--pdf",
        env={"DUCKY_CHROMIUM": str(tmp_path / "no-chromium")},
    )  # fmt: skip
    assert r.code == 2 and len(r.stderr.splitlines()) == 1
    assert "install-system-deps.sh" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "r.html").exists()  # checked before any work


def test_brief_on_an_ingested_shop(tmp_path: Path) -> None:
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
    r = run_cli("--data", str(data), "report", "--out", str(out), "--pdf")
    assert r.code == 0, r.stderr
    brief, evidence = split(out.read_text())
    assert "Revenue " in brief and "Funnel:" in brief
    # no bench or segmentation here: those parts say what to run instead of inventing numbers
    assert "run `ducky bench`" in brief and "run `ducky segment`" in brief
    missing = sorted({n for n in NUM.findall(brief) if n not in evidence})
    assert not missing
    first = pdf_pages(out.with_suffix(".pdf"))[0]
    assert "Strategy brief" in first and "Retention insights" in first
    assert "Evidence" not in first
