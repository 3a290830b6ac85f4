"""THE cross-engine parity suite: every canonical query x variant x parameter set, on every
engine available here, equals DuckDB-over-Parquet's baseline AND the independent pure-Python
reference (tests/reference.py), on the hand-made data and on generated data.

Adding an engine is one line in ENGINES: a name, how to open it over a data directory (from
the session fixtures that start its service), and its pytest marks.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ducky import sql as canonical_sql
from ducky.bench.runner import compare, compare_rows
from ducky.datasets import DataDir
from ducky.engines import open_engine
from ducky.engines.base import Engine
from ducky.testing import PARAMS as SUITE_PARAMS
from tests import reference

Opener = Callable[[pytest.FixtureRequest, DataDir, Path], Engine]


@dataclass(frozen=True)
class EngineCase:
    name: str
    open: Opener
    marks: tuple[Any, ...] = ()
    # Slow engines (a JVM per query) run every variant on the hand-made data, and only the
    # canonical variant on generated data, to keep the suite inside its time budget.
    all_variants_on_generated: bool = True


ENGINES: list[EngineCase] = [
    EngineCase("duckdb", lambda req, dd, tmp: open_engine("duckdb", dd, mode="parquet")),
    EngineCase(
        "duckdb-native",
        lambda req, dd, tmp: open_engine("duckdb", dd, mode="native", database=tmp / "n.duckdb"),
    ),
    EngineCase(
        "postgres",
        lambda req, dd, tmp: open_engine("postgres", dd, dsn=req.getfixturevalue("pg_dsn")),
        (pytest.mark.postgres, pytest.mark.integration),
    ),
    EngineCase(
        "spark",
        lambda req, dd, tmp: req.getfixturevalue("spark_engine_factory")(dd),
        (pytest.mark.spark, pytest.mark.slow, pytest.mark.integration),
        all_variants_on_generated=False,
    ),
    EngineCase(
        "spark-connect",
        lambda req, dd, tmp: open_engine(
            "spark", dd, master=req.getfixturevalue("spark_connect_server").url
        ),
        (pytest.mark.spark, pytest.mark.slow, pytest.mark.integration),
        all_variants_on_generated=False,
    ),
    EngineCase(
        # Embedded ClickHouse: in the `bench` extra, so a plain `make install` may lack it.
        "chdb",
        lambda req, dd, tmp: open_engine("chdb", dd),
        (
            pytest.mark.skipif(
                importlib.util.find_spec("chdb") is None,
                reason="chdb is in the bench extra: pip install 'ducky[bench]'",
            ),
        ),
    ),
]

# string_ids: the hand-made data with a shop's string ids ("u001", "p10"): every engine must
# return the same rows as the reference on VARCHAR ids too (issue 15).
DATASETS = ("handmade", "string_ids", "generated")
# Hand-made orders with quantities, amounts and two currencies (issue 15; tests/handmade_orders).
DATASETS += ("orders",)
# Negative revenue and half-cent avg_order_value boundaries (tests/sql/handmade_aov.py).
DATASETS += ("aov_signs",)


@pytest.fixture(scope="module")
def aov_signs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import handmade
    from tests.sql import handmade_aov

    return handmade.write_datadir(
        tmp_path_factory.mktemp("aov_signs") / "data", events=handmade_aov.EVENTS
    )


def _stringify(table: Any, prefix: dict[str, str]) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    for col, pre in prefix.items():
        if col not in table.column_names:
            continue
        arr = table.column(col)
        if pa.types.is_list(arr.type):
            values = [None if v is None else [f"{pre}{x:02d}" for x in v] for v in arr.to_pylist()]
            new = pa.array(values, pa.list_(pa.string()))
        else:
            new = pc.binary_join_element_wise(pre, pc.cast(arr, pa.string()), "")
        table = table.set_column(table.column_names.index(col), col, new)
    return table


@pytest.fixture(scope="module")
def string_ids_dir(handmade_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made data directory with every user id as "u<n>" and product id as "p<nn>"."""
    import shutil

    out = tmp_path_factory.mktemp("string_ids") / "data"
    shutil.copytree(handmade_dir, out)
    prefix = {"user_id": "u", "product_id": "p", "clicked_product_ids": "p"}
    dd = DataDir(out)
    for t in ("users", "products", "events", "search_logs"):
        for f in dd.table_files(t):
            pq.write_table(_stringify(pq.read_table(f, partitioning=None), prefix), f)
    assert dd.id_types() == {"user_id": "string", "product_id": "string"}
    return out


# Parameter sets per query: the defaults and one that exercises each option (shared with
# third-party engines through ducky.testing).
PARAMS: dict[str, list[dict[str, Any]]] = SUITE_PARAMS
VARIANTS = sorted({v for q in canonical_sql.QUERIES for v in canonical_sql.variants(q)})


def _rows(dd: DataDir, table: str) -> list[dict[str, Any]]:
    return pq.read_table(dd.table_files(table)).to_pylist() if dd.has_table(table) else []


def _reference(dd: DataDir, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    events = _rows(dd, "events")
    if query == "wau":
        return reference.wau(events, params.get("event_type"))
    if query == "revenue":
        bound = {
            k: dt.datetime.fromisoformat(params[k]) if params.get(k) else None
            for k in ("date_from", "date_to")
        }
        return reference.revenue_orders(events, _rows(dd, "products"), **bound)
    return reference.cohort(_rows(dd, "users"), events, **params)


class Engines:
    """Opened engines, one per (engine, dataset), reused by every test of this module."""

    def __init__(self, request: pytest.FixtureRequest, tmp: Path) -> None:
        self.request, self.tmp = request, tmp
        self.opened: dict[tuple[str, str], Engine] = {}
        self.truth: dict[tuple[str, str, str], tuple[Any, list[dict[str, Any]]]] = {}

    def datadir(self, dataset: str) -> DataDir:
        return DataDir(self.request.getfixturevalue(f"{dataset}_dir"))

    def get(self, engine: str, dataset: str) -> Engine:
        key = (engine, dataset)
        if key not in self.opened:
            case = next(c for c in ENGINES if c.name == engine)
            folder = self.tmp / f"{engine}-{dataset}"
            folder.mkdir(parents=True, exist_ok=True)
            eng = case.open(self.request, self.datadir(dataset), folder)
            eng.connect()
            self.opened[key] = eng
        eng = self.opened[key]
        eng.load()  # PostgreSQL shares one database between datasets: reload when it changed
        return eng

    def truth_for(self, dataset: str, query: str, params: dict[str, Any]) -> tuple[Any, Any]:
        """(DuckDB-over-Parquet baseline rows, pure-Python reference rows), cached."""
        key = (dataset, query, repr(sorted(params.items())))
        if key not in self.truth:
            base = self.get("duckdb", dataset)
            base.prepare(query, "baseline")
            self.truth[key] = (
                base.query(query, "baseline", **params),
                _reference(self.datadir(dataset), query, params),
            )
        return self.truth[key]

    def close(self) -> None:
        for eng in self.opened.values():
            eng.close()


@pytest.fixture(scope="module")
def engines(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engines]:
    e = Engines(request, tmp_path_factory.mktemp("cross-engine"))
    yield e
    e.close()


def _matrix() -> list[Any]:
    out = []
    for c in ENGINES:
        for dataset in DATASETS:
            for query in canonical_sql.QUERIES:
                for variant in VARIANTS:
                    reduced = dataset == "generated" and not c.all_variants_on_generated
                    if reduced and variant != canonical_sql.DEFAULT_VARIANT:
                        continue
                    out.append(
                        pytest.param(
                            c.name,
                            dataset,
                            query,
                            variant,
                            marks=c.marks,
                            id=f"{c.name}-{dataset}-{query}-{variant}",
                        )
                    )
    return out


@pytest.mark.parametrize(("engine", "dataset", "query", "variant"), _matrix())
def test_variant_equals_duckdb_baseline_and_reference(
    engines: Engines, engine: str, dataset: str, query: str, variant: str
) -> None:
    if variant not in canonical_sql.variants(query):
        pytest.fail(f"{query} lacks variant {variant}: every query must have every variant")
    eng = engines.get(engine, dataset)
    eng.reset_settings()
    eng.prepare(query, variant)
    for params in PARAMS[query]:
        baseline, ref = engines.truth_for(dataset, query, params)
        assert baseline.num_rows > 0, "the data must make every query return rows"
        got = eng.query(query, variant, **params)
        where = f"{engine}/{dataset}/{query}/{variant} {params}"
        assert compare(baseline, got) is None, (
            f"{where} vs duckdb baseline: {compare(baseline, got)}"
        )
        assert compare_rows(ref, got.to_pylist()) is None, (
            f"{where} vs reference: {compare_rows(ref, got.to_pylist())}"
        )


def test_every_query_has_the_bench_variants() -> None:
    for q in canonical_sql.QUERIES:
        assert {"baseline", "optimized", "rollup"} <= set(canonical_sql.variants(q)), q
