"""The same specs give the same users on PostgreSQL as on DuckDB (postgres dialect via sqlglot)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ducky.audience import parse_payload
from ducky.audience.examples import EXAMPLES
from ducky.audience.service import AudienceService
from tests.audience.test_audience_reference import CASES
from tests.audience.test_audience_spec import INJECTION
from tests.fixtures.api_server import AUDIENCE_AS_OF

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def services(
    audience_dir: Path, audience_pg_dsn: str
) -> Iterator[tuple[AudienceService, AudienceService]]:
    from ducky.datasets import DataDir
    from ducky.engines import open_engine

    dd = DataDir(audience_dir)
    with open_engine("duckdb", dd) as duck, open_engine("postgres", dd, dsn=audience_pg_dsn) as pg:
        duck.load()
        pg.load()
        yield AudienceService(duck), AudienceService(pg)


@pytest.fixture(scope="module")
def audience_pg_dsn(pg_server: Any) -> str:
    """A database of its own on the session server (pg_dsn is shared and reloaded by others)."""
    import psycopg

    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as c:
        c.execute('DROP DATABASE IF EXISTS "audience" WITH (FORCE)')
        c.execute('CREATE DATABASE "audience"')
    return str(pg_server.dsn("audience"))


def _both(services: tuple[AudienceService, AudienceService], payload: dict[str, Any]) -> Any:
    spec = parse_payload(payload).spec
    duck, pg = (s.query(spec) for s in services)
    return duck, pg


def test_examples_same_users(services: tuple[AudienceService, AudienceService]) -> None:
    nonempty = 0
    for name, ex in EXAMPLES.items():
        duck, pg = _both(services, ex["spec"])
        assert pg.user_ids == duck.user_ids, name
        assert pg.total_count == duck.total_count, name
        assert pg.as_of == duck.as_of
        nonempty += bool(duck.user_ids)
    assert nonempty >= 4  # the comparison is not between empty lists


@pytest.mark.parametrize("name", list(CASES))
def test_every_case_same_users(
    services: tuple[AudienceService, AudienceService], name: str
) -> None:
    payload = {"where": CASES[name], "as_of": AUDIENCE_AS_OF.isoformat(), "limit": 10_000}
    duck, pg = _both(services, payload)
    assert pg.user_ids == duck.user_ids


def test_pages_rows_and_injection(services: tuple[AudienceService, AudienceService]) -> None:
    duck, pg = _both(services, {"limit": 7, "cursor": "20"})
    assert pg.users == duck.users  # same columns, same values (dates, NULLs)
    assert pg.next_cursor == duck.next_cursor == str(duck.user_ids[-1])
    for op in ("eq", "contains", "like"):
        node = {"type": "attribute", "column": "name", "op": op, "value": INJECTION + "\\"}
        duck, pg = _both(services, {"where": node})
        assert pg.user_ids == duck.user_ids == []
    assert services[1].count(parse_payload({}).spec) == 400  # users is still there
