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


def purchase_lines_sql(cols: set[str], events: str, products: str | None) -> tuple[str, str]:
    """(SELECT of one row per purchase: user_id, ts, currency, revenue, order_key; how its
    revenue is measured), by METRICS.md's revenue definition, for DuckDB over `events` (a
    relation whose columns are `cols`) and `products` (None without a catalog).

    The one place the report's business facts and the segment plugin's per-segment AOV take
    revenue from, so the two can never disagree with each other (nor, on the same files, with
    `ducky query revenue`).
    """
    from ducky.schema import DEFAULT_CURRENCY

    price, join = "NULL", ""
    if products is not None and "product_id" in cols:
        join = f"LEFT JOIN {products} AS p ON e.product_id = p.product_id"
        price = "p.price"
    qty = "COALESCE(e.quantity, 1)" if "quantity" in cols else "1"
    line = f"CAST({qty} AS DECIMAL(18, 2)) * {price}"
    if "amount" in cols:
        rev, source = f"COALESCE(e.amount, {line})", "amount paid, else quantity x product price"
    else:
        rev = line
        source = (
            "quantity x product price" if "quantity" in cols else "product price (1 per purchase)"
        )
    # Purchases without a currency are in schema.DEFAULT_CURRENCY, as in `ducky query revenue`.
    dflt = f"'{DEFAULT_CURRENCY}'"
    cur = f"COALESCE(CAST(e.currency AS VARCHAR), {dflt})" if "currency" in cols else dflt
    # An order-less purchase is its own order: give it a unique synthetic key.
    row_key = "'row-' || CAST(e.rowid_ AS VARCHAR)"
    order = f"COALESCE(CAST(e.order_id AS VARCHAR), {row_key})" if "order_id" in cols else row_key
    sql = f"""
        SELECT e.user_id, e."timestamp" AS ts, {cur} AS currency,
               CAST({rev} AS DECIMAL(18, 2)) AS revenue, {order} AS order_key
        FROM (SELECT *, row_number() OVER () AS rowid_ FROM {events}
              WHERE event_type = 'purchased') AS e
        {join}
    """
    return sql, source
