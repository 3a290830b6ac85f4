"""Metric definitions printed next to every result (the contract in METRICS.md).

The text lives in the query catalog (ducky.sql.catalog), with the rest of each query's
declaration; this module is the accessor the CLI, cohort and report use.
"""

from __future__ import annotations

from ducky.sql.catalog import CATALOG, QUERIES

DEFINITIONS: dict[str, str] = {q: CATALOG[q].definition for q in QUERIES}


def definition(query: str) -> str:
    return DEFINITIONS.get(query, "")
