"""Rendered SQL per query x variant x dialect, committed under tests/snapshots/, so a sqlglot
upgrade or a fix-up change shows as a reviewable diff without starting any server.

Regenerate after an intended change: DUCKY_UPDATE_SNAPSHOTS=1 pytest tests/sql/test_sql_snapshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ducky.engines import engine_class
from ducky.sql.catalog import CATALOG, variants

SNAPSHOTS = Path(__file__).parents[1] / "snapshots"
ENGINES = ("duckdb", "postgres", "spark", "chdb")  # rendering needs no driver
UPDATE = os.environ.get("DUCKY_UPDATE_SNAPSHOTS") == "1"


def _cases() -> list[tuple[str, str, str]]:
    return [(e, q, v) for e in ENGINES for q in CATALOG for v in variants(q)]


@pytest.mark.parametrize(("engine", "query", "variant"), _cases())
def test_rendered_sql_matches_snapshot(engine: str, query: str, variant: str) -> None:
    cls = engine_class(engine)
    got = cls.render_sql(query, variant).rstrip() + "\n"
    path = SNAPSHOTS / cls.dialect / f"{query}.{variant}.sql"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got)
        if not UPDATE:
            pytest.fail(f"{path} was missing and has been written: review and commit it")
    assert got == path.read_text(), (
        f"{engine} {query}/{variant} renders differently from {path}; "
        "if intended, rerun with DUCKY_UPDATE_SNAPSHOTS=1 and commit the diff"
    )


def test_no_stale_snapshot() -> None:
    expected = {f"{engine_class(e).dialect}/{q}.{v}.sql" for e, q, v in _cases()}
    present = {str(p.relative_to(SNAPSHOTS)) for p in SNAPSHOTS.rglob("*.sql")}
    assert present <= expected, f"snapshots of no query: {sorted(present - expected)}"
