"""A catalog taken from the events themselves (issue 15).

Single-file exports such as REES46's (`event_time, event_type, product_id, category_code,
brand, price, user_id, ...`) carry each product's category and price on every event and come
without a products table. Without a catalog every purchase's category reads "unknown". The
mapping's `products_from_events:` section names the events' columns that describe the product:

    products_from_events:
      category: category_code   # optional: "unknown" where no event of the product names one
      price: price              # the unit price (revenue without `amount`: quantity x price)
      name: brand               # optional

One products row per product id the events name; each column is the *last* non-empty value
in the source's record order (an export is written in time order, and the source's own order is
what a reader can check: the quarantine points at the record a row came from). The rows then go
through the products checks, quarantine and accounting like a products file would.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ducky.errors import UserError

if TYPE_CHECKING:
    from ducky.ingest.mapping import Mapping
    from ducky.ingest.records import SourceData

PRODUCTS_FROM_EVENTS_KEY = "products_from_events"
COLUMNS = ("category", "price", "name")
# The label revenue already gives a purchase whose category is not known (METRICS.md).
UNKNOWN = "unknown"
DERIVED_NOTE = (
    "derived from events (mapping products_from_events): one row per product id, each column "
    "the last non-empty value the events give; category 'unknown' where none does"
)


def check_spec(spec: object, where: str) -> dict[str, str]:
    """The mapping section, checked when the mapping is read: one line per mistake."""
    if not isinstance(spec, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in spec.items()
    ):
        raise UserError(f"{where}: products_from_events maps product columns to events columns")
    unknown = sorted(set(spec) - set(COLUMNS))
    if unknown:
        raise UserError(
            f"{where}: products_from_events has no column {unknown[0]!r} "
            f"(columns: {', '.join(COLUMNS)})"
        )
    if "price" not in spec:
        raise UserError(
            f"{where}: products_from_events needs price (the catalog's unit price column "
            "of the events)"
        )
    return {str(k): str(v) for k, v in spec.items()}


def products_from_events(events: SourceData, mapping: Mapping) -> SourceData:
    """The products source the events describe (see the module docstring)."""
    import pyarrow as pa

    from ducky.ingest.duck import connect
    from ducky.ingest.mapping import resolve
    from ducky.ingest.records import SourceData

    spec = mapping[PRODUCTS_FROM_EVENTS_KEY]
    cols = events.data.column_names
    pid = resolve("events", cols, mapping, events.source).get("product_id")
    if pid is None:
        raise UserError(
            f"{events.source}: products_from_events needs the events' product_id column "
            "(map events.product_id)"
        )
    for canon, src in spec.items():
        if src not in cols:
            raise UserError(
                f"{events.source}: mapping names column {src!r} for products_from_events."
                f"{canon}, but the source has no such column (it has: {', '.join(cols)})"
            )

    def text(col: str) -> str:
        # Text formats read strings, Parquet keeps its types: compare every value as text.
        return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"

    present = f"{text('pid')} IS NOT NULL"
    select = [f"{text('pid')} AS product_id"]
    for canon in COLUMNS:
        if canon in spec:
            c = f"c_{canon}"
            last = f"arg_max({text(c)}, __i) FILTER (WHERE {text(c)} IS NOT NULL)"
            select.append(
                f"COALESCE({last}, '{UNKNOWN}') AS {canon}"
                if canon == "category"
                else f"{last} AS {canon}"
            )
        elif canon == "category":
            select.append(f"'{UNKNOWN}' AS category")
    # Each row's record: the last event that named the product (where a reader looks first).
    select.append("max(__rec) AS __rec")
    src = pa.table(
        {
            "pid": events.data.column(pid),
            **{f"c_{k}": events.data.column(v) for k, v in spec.items()},
            "__i": pa.array(range(events.data.num_rows), pa.int64()),
            "__rec": pa.array(events.record, pa.int64()),
        }
    )
    con = connect()
    try:
        con.register("src", src)
        out = con.sql(
            f"SELECT {', '.join(select)} FROM src WHERE {present} GROUP BY 1 ORDER BY __rec"
        ).to_arrow_table()
    finally:
        con.close()
    record = out.column("__rec").to_numpy()
    data = out.drop_columns(["__rec"])
    digest = hashlib.sha256(f"{events.digest}:{PRODUCTS_FROM_EVENTS_KEY}".encode()).hexdigest()
    return SourceData(
        "products", f"{events.source} ({PRODUCTS_FROM_EVENTS_KEY})", "derived", data, record, digest
    )
