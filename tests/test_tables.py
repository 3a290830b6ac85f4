"""ducky.tables.print_grid: every layout it picks (whole, split, vertical, piped) keeps values."""

from __future__ import annotations

import io
import re

import pytest

from ducky.tables import Column, Grid, print_grid

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _grid() -> Grid:
    g = Grid(
        [
            Column("cohort", key=True),
            Column("cohort size", justify="right", key=True),
            *[Column(f"week {k} retention", justify="right") for k in range(6)],
        ],
        title="retention",
        notes=["[first event date, last event date] stays as written"],
    )
    g.add_row("2025-01", "1,234,567", *[f"{100 - 7 * k:.1f} %" for k in range(6)])
    g.add_row("2025-02", "98,765", *["·"] * 6)
    return g


def _render(width: int | None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NO_COLOR", "1")
    if width is None:
        monkeypatch.setenv("TTY_COMPATIBLE", "0")
        monkeypatch.setenv("COLUMNS", "20")
    else:
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
        monkeypatch.setenv("COLUMNS", str(width))
    buf = io.StringIO()
    print_grid(_grid(), file=buf)
    return ANSI.sub("", buf.getvalue())


@pytest.mark.parametrize(
    ("width", "layout"),
    [(None, "piped"), (200, "whole"), (100, "wrapped"), (50, "split"), (24, "vertical")],
)
def test_layouts_keep_every_value(
    width: int | None, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _render(width, monkeypatch)
    for value in ("1,234,567", "98,765", "100.0 %", "65.0 %", "2025-01", "2025-02"):
        assert value in out, out
    assert "…" not in out
    assert "[first event date, last event date] stays as written" in " ".join(out.split())
    if width is not None:
        assert max(len(line) for line in out.splitlines()) <= width, out
    if layout == "piped":
        assert any(len(line) > 100 for line in out.splitlines())  # natural width, one table
    if layout == "split":
        assert "(part 1 of" in out and out.count("1,234,567") >= 2  # keys repeated
    if layout == "vertical":
        assert "week 5 retention: 65.0 %" in out
    if layout == "wrapped":
        assert "(part" not in out  # headers wrapped instead of splitting
