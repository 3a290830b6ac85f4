"""Metric definitions printed next to every result (the contract in METRICS.md).

The text lives in the query catalog (ducky.sql.catalog), with the rest of each query's
declaration; this module is the accessor the CLI, cohort and report use.
"""

from __future__ import annotations

from ducky.sql.catalog import CATALOG, QUERIES

DEFINITIONS: dict[str, str] = {q: CATALOG[q].definition for q in QUERIES}


def definition(query: str) -> str:
    return DEFINITIONS.get(query, "")


def data_notes(datadir: object, query: str) -> str:
    """What a definition cannot say by itself: the caveat to print after `query`'s definition
    when ingest derived a table it reads (recorded under `derived` in the manifest)."""
    if query not in ("revenue", "cohort"):  # before the manifest: `query wau` reads no file
        return ""
    try:
        derived = datadir.manifest().extra.get("derived") or {}  # type: ignore[attr-defined]
    except Exception:  # a database source has no manifest: nothing was derived
        return ""
    if query == "cohort":
        # METRICS.md: every result that depends on a derived signup says so (`ducky cohort`
        # and `ducky query cohort` alike).
        if "users" not in derived:
            return ""
        return (
            " Users were derived from events (the source had no users table): signup = the date"
            " of a user's first event."
        )
    if "products" not in derived:
        return ""
    if str(derived["products"]).startswith("absent"):
        return (
            " No catalog was ingested: every purchase's category is 'unknown' and its revenue"
            " is its amount (0 without one)."
        )
    return (
        " Products were derived from the events (no catalog file): a product's category and"
        " price are the last ones its events gave."
    )
