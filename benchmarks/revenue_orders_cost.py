"""Cost of the orders/amount/currency revenue definition on integer-id data (issue 15):
the old and new DuckDB revenue SQL interleaved in one process over /tmp/orders-10m (made by
`ducky --data /tmp/orders-10m gen --events 10000000`), median of runs 2-7 per query."""

import statistics
import time

import duckdb

con = duckdb.connect()
g = "/tmp/orders-10m/events/month=*/*.parquet"
con.execute(
    f"CREATE VIEW events AS SELECT user_id, event_type, product_id, \"timestamp\", CAST(NULL AS VARCHAR) order_id, CAST(NULL AS BIGINT) quantity, CAST(NULL AS DECIMAL(12,2)) amount, CAST(NULL AS VARCHAR) currency FROM read_parquet('{g}')"
)
con.execute(
    "CREATE VIEW products AS SELECT * FROM read_parquet('/tmp/orders-10m/products.parquet')"
)
P = "WITH e AS (SELECT user_id, product_id, order_id, quantity, amount, currency FROM events WHERE event_type='purchased') "
Q = {
    "old": P
    + "SELECT p.category, SUM(p.price), COUNT(*), COUNT(DISTINCT e.user_id) FROM e JOIN products p USING (product_id) GROUP BY 1",
    "new": P
    + "SELECT COALESCE(p.category,'unknown'), COALESCE(e.currency,'USD'), COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity,1)*p.price)),0), COUNT(*), COUNT(DISTINCT e.order_id)+COUNT(*)-COUNT(e.order_id), COUNT(DISTINCT e.user_id) FROM e LEFT JOIN products p ON p.product_id=e.product_id GROUP BY 1,2",
    "no_distinct_order": P
    + "SELECT COALESCE(p.category,'unknown'), COALESCE(e.currency,'USD'), COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity,1)*p.price)),0), COUNT(*), COUNT(*)-COUNT(e.order_id), COUNT(DISTINCT e.user_id) FROM e LEFT JOIN products p ON p.product_id=e.product_id GROUP BY 1,2",
    "no_currency_key": P
    + "SELECT COALESCE(p.category,'unknown'), COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity,1)*p.price)),0), COUNT(*), COUNT(DISTINCT e.order_id)+COUNT(*)-COUNT(e.order_id), COUNT(DISTINCT e.user_id) FROM e LEFT JOIN products p ON p.product_id=e.product_id GROUP BY 1",
    "cast18": P
    + "SELECT COALESCE(p.category,'unknown'), COALESCE(e.currency,'USD'), COALESCE(SUM(CAST(COALESCE(e.amount, COALESCE(e.quantity,1)*p.price) AS DECIMAL(18,2))),0), COUNT(*), COUNT(DISTINCT e.order_id)+COUNT(*)-COUNT(e.order_id), COUNT(DISTINCT e.user_id) FROM e LEFT JOIN products p ON p.product_id=e.product_id GROUP BY 1,2",
}
ts = {k: [] for k in Q}
for r in range(7):
    for k, q in Q.items():
        t0 = time.perf_counter()
        con.sql(q).fetchall()
        ts[k].append(time.perf_counter() - t0)
for k in Q:
    print(f"{k:20s} {statistics.median(ts[k][1:]) * 1000:7.1f} ms")
