"""The ground floor: shared JSON/rows conversion and atomic writes with the user's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ducky.atomic import atomic_open, atomic_path, write_text


def test_atomic_write_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.csv", "x\n1\n")
        with atomic_path(tmp_path / "b.png", suffix=".png") as tmp:
            tmp.write_bytes(b"png")
    finally:
        os.umask(old)
    for name in ("a.csv", "b.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert (tmp_path / "a.csv").read_text() == "x\n1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.png"]  # no temp left


def test_atomic_write_keeps_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_cli_output_reexports_tabular() -> None:
    from ducky import tabular
    from ducky.cli import output

    assert output.jsonable is tabular.jsonable and output.rows_of is tabular.rows_of


def test_query_definition_printed_intact(handmade_dir: Path) -> None:
    from click.testing import CliRunner

    from ducky.cli.main import cli
    from ducky.metrics import definition

    res = CliRunner().invoke(cli, ["--data", str(handmade_dir), "query", "wau"])
    assert res.exit_code == 0, res.output
    assert "[first event date, last event date]" in definition("wau")
    flat = " ".join(res.output.split())
    assert "[first event date, last event date]" in flat


def test_pictures_get_the_users_umask_mode(tmp_path: Path) -> None:
    # The cohort plots (and, through the same atomic_path, the bench chart) once went through
    # their own mkstemp and came out 0600, unreadable to the team the PNG was for.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from ducky.cohort.plots import save_atomic

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    old = os.umask(0o022)
    try:
        out = save_atomic(fig, tmp_path / "lines.png")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["lines.png"]
