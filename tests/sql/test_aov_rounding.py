"""avg_order_value rounds half away from zero, negative revenue included, on hand-made data.

Every engine is checked against these rows by tests/engines/test_cross_engine.py (dataset
"aov_signs"); here the reference and DuckDB's variants are checked against hand-computed rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ducky import sql as canonical_sql
from ducky.datasets import DataDir
from ducky.engines import open_engine
from tests import handmade, reference
from tests.sql import handmade_aov


@pytest.fixture(scope="module")
def aov_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return handmade.write_datadir(
        tmp_path_factory.mktemp("aov") / "data", events=handmade_aov.EVENTS
    )


def test_reference_rounds_half_away_from_zero() -> None:
    got = reference.revenue_orders(handmade_aov.EVENTS, handmade.PRODUCTS)
    assert got == handmade_aov.EXPECTED


@pytest.mark.parametrize("mode", ["parquet", "native"])
@pytest.mark.parametrize("variant", canonical_sql.variants("revenue"))
def test_duckdb_aov_of_negative_and_half_cent_revenue(
    aov_dir: Path, tmp_path: Path, mode: str, variant: str
) -> None:
    opts = {"database": tmp_path / "n.duckdb"} if mode == "native" else {}
    with open_engine("duckdb", DataDir(aov_dir), mode=mode, **opts) as eng:
        eng.load()
        eng.prepare("revenue", variant)
        got = eng.query("revenue", variant).to_pylist()
    assert got == handmade_aov.EXPECTED
