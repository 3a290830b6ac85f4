"""The cross-engine suite, importable by any engine package (as ibis's backend test suite is).

Every catalog metric, with the default parameters and one set that exercises each option, must
return on the engine under test exactly the rows DuckDB-over-Parquet's baseline returns
(columns, order, values; floats and decimals with a relative tolerance of 1e-9). ducky's own
tests run it for the built-in engines (tests/engines/test_cross_engine.py); a third-party
engine runs it from its own tests:

    from ducky.testing import assert_matches_duckdb

    def test_my_engine(tmp_path):
        datadir = ...  # e.g. `ducky gen --data DIR` or the hand-made data ducky's tests use
        assert_matches_duckdb("myengine", datadir)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ducky.sql.catalog import DEFAULT_VARIANT, QUERIES

if TYPE_CHECKING:
    import pyarrow as pa

    from ducky.datasets import DataDir
    from ducky.engines.base import Engine

# Parameter sets per metric: the defaults and one that exercises each option. The hand-made
# data (tests/handmade.py) makes every one of them return rows.
PARAMS: dict[str, list[dict[str, Any]]] = {
    "wau": [{}, {"event_type": "purchased"}],
    "revenue": [{}, {"date_from": "2025-01-01", "date_to": "2025-02-15"}],
    "cohort": [{}, {"event_type": "purchased", "weeks": 3}],
}
REFERENCE_VARIANT = "baseline"  # DuckDB over Parquet, this variant: the rows every engine matches


@dataclass(frozen=True)
class Case:
    query: str
    variant: str
    params: dict[str, Any]

    @property
    def id(self) -> str:
        shown = ",".join(f"{k}={v}" for k, v in sorted(self.params.items())) or "defaults"
        return f"{self.query}-{self.variant}-{shown}"


def cases(
    queries: tuple[str, ...] | list[str] = QUERIES,
    variants: tuple[str, ...] | list[str] = (DEFAULT_VARIANT,),
) -> list[Case]:
    """Every (query, variant, parameter set) of the suite."""
    return [Case(q, v, p) for q in queries for v in variants for p in PARAMS.get(q, [{}])]


def duckdb_reference(datadir: DataDir, case: Case) -> pa.Table:
    """The rows DuckDB over the Parquet files returns for `case` (its reference variant)."""
    from ducky.engines import open_engine

    with open_engine("duckdb", datadir, mode="parquet") as ref:
        ref.load()
        ref.prepare(case.query, REFERENCE_VARIANT)
        return ref.query(case.query, REFERENCE_VARIANT, **case.params)


def check_engine(engine: Engine, datadir: DataDir, suite: list[Case] | None = None) -> list[str]:
    """Run the suite on an open, loaded `engine`; one line per mismatch (empty: all equal)."""
    from ducky.bench.runner import compare

    failures: list[str] = []
    prepared: set[tuple[str, str]] = set()
    for case in suite if suite is not None else cases():
        expected = duckdb_reference(datadir, case)
        if expected.num_rows == 0:
            failures.append(f"{case.id}: the data must make every query return rows")
            continue
        if (case.query, case.variant) not in prepared:
            engine.reset_settings()
            engine.prepare(case.query, case.variant)
            prepared.add((case.query, case.variant))
        got = engine.query(case.query, case.variant, **case.params)
        why = compare(expected, got)
        if why is not None:
            failures.append(f"{engine.name}/{case.id} vs duckdb {REFERENCE_VARIANT}: {why}")
    return failures


def assert_matches_duckdb(
    engine_name: str,
    datadir: DataDir,
    options: dict[str, Any] | None = None,
    queries: tuple[str, ...] | list[str] = QUERIES,
    variants: tuple[str, ...] | list[str] = (DEFAULT_VARIANT,),
) -> None:
    """Open the registered engine `engine_name` over `datadir`, load it, run the suite and
    raise AssertionError listing every mismatch."""
    from ducky.engines import open_engine

    with open_engine(engine_name, datadir, **(options or {})) as eng:
        eng.load()
        failures = check_engine(eng, datadir, cases(queries, variants))
    assert not failures, "\n".join(failures)
