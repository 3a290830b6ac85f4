"""Cost of the orders/amount/currency revenue definition on integer-id data (issue 15): the
old and new DuckDB revenue SQL interleaved in one process (fair on a shared machine) over
/tmp/orders-10m (`ducky --data /tmp/orders-10m gen --events 10000000`), median of runs 2-7.

"engine render" is what DuckDBEngine.render("revenue") runs on that data since issue 20
(engines/duckdb/fast.py): the files hold no order/amount/quantity/currency columns, so orders
are COUNT(*) and the line is the catalog price, and buyers are one bitstring per category
bounded by the user_id statistics. It must be no slower than "before"."""

from __future__ import annotations

import statistics
import time

DATA = "/tmp/orders-10m"
NULLS = (
    "CAST(NULL AS VARCHAR) order_id, CAST(NULL AS BIGINT) quantity, "
    "CAST(NULL AS DECIMAL(12,2)) amount, CAST(NULL AS VARCHAR) currency"
)
PURCHASES = (
    "WITH e AS (SELECT user_id, product_id, order_id, quantity, amount, currency "
    "FROM events WHERE event_type = 'purchased') "
)
LINE = "COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)"
JOIN = "FROM e LEFT JOIN products p ON p.product_id = e.product_id"
ORDERS = "COUNT(DISTINCT e.order_id) + COUNT(*) - COUNT(e.order_id)"
KEYS = "COALESCE(p.category, 'unknown'), COALESCE(e.currency, 'USD')"
QUERIES = {
    "before": "SELECT p.category, SUM(p.price), COUNT(*), COUNT(DISTINCT e.user_id) "
    "FROM e JOIN products p USING (product_id) GROUP BY 1",
    "after": f"SELECT {KEYS}, COALESCE(SUM({LINE}), 0), COUNT(*), {ORDERS}, "
    f"COUNT(DISTINCT e.user_id) {JOIN} GROUP BY 1, 2",
    "after, no distinct orders": f"SELECT {KEYS}, COALESCE(SUM({LINE}), 0), COUNT(*), "
    f"COUNT(*) - COUNT(e.order_id), COUNT(DISTINCT e.user_id) {JOIN} GROUP BY 1, 2",
    "after, no currency key": f"SELECT COALESCE(p.category, 'unknown'), "
    f"COALESCE(SUM({LINE}), 0), COUNT(*), {ORDERS}, COUNT(DISTINCT e.user_id) {JOIN} GROUP BY 1",
}


def main() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        'CREATE VIEW events AS SELECT user_id, event_type, product_id, "timestamp", '
        f"{NULLS} FROM read_parquet('{DATA}/events/month=*/*.parquet')"
    )
    con.execute(f"CREATE VIEW products AS SELECT * FROM read_parquet('{DATA}/products.parquet')")
    from ducky.datasets import DataDir
    from ducky.engines.duckdb import DuckDBEngine

    full = {name: PURCHASES + sql for name, sql in QUERIES.items()}
    with DuckDBEngine(DataDir(DATA)) as eng:
        eng.load()
        full["engine render"] = eng.render("revenue")
    times: dict[str, list[float]] = {k: [] for k in full}
    for _ in range(7):
        for name, sql in full.items():
            t0 = time.perf_counter()
            con.sql(sql).fetchall()
            times[name].append(time.perf_counter() - t0)
    for name, ts in times.items():
        print(f"{name:28s} {statistics.median(ts[1:]) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
