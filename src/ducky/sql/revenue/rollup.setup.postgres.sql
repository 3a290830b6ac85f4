-- Revenue rollup on PostgreSQL: rollup.setup.sql's (day, category, currency, buyer, order)
-- table with a key, so rollup.maintain.postgres.sql can add new purchases to it (revenue,
-- purchases and orderless are sums: an insert is an additive upsert; keeping buyer and order
-- keeps `buyers` and `orders` exact under a date range). order_id is NULL for order-less purchases, hence a
-- NULLS NOT DISTINCT unique key (PostgreSQL 15+) rather than a primary key.
DROP TABLE IF EXISTS rollup_category_day;
CREATE TABLE rollup_category_day AS
SELECT
    CAST(e."timestamp" AS DATE) AS day,
    COALESCE(p.category, 'unknown') AS category,
    COALESCE(e.currency, 'USD') AS currency,
    e.user_id,
    e.order_id,
    CAST(COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)), 0) AS DECIMAL(18, 2)) AS revenue,
    CAST(COUNT(*) AS BIGINT) AS purchases,
    -- purchases without an order id: each is its own order
    CAST(CASE WHEN e.order_id IS NULL THEN COUNT(*) ELSE 0 END AS BIGINT) AS orderless
FROM events AS e
LEFT JOIN products AS p ON p.product_id = e.product_id
WHERE e.event_type = 'purchased'
GROUP BY 1, 2, 3, 4, 5;
ALTER TABLE rollup_category_day ADD CONSTRAINT rollup_category_day_key
    UNIQUE NULLS NOT DISTINCT (day, category, currency, user_id, order_id);
ANALYZE rollup_category_day;
