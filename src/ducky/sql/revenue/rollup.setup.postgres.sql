-- Revenue rollup on PostgreSQL: rollup.setup.sql's (day, category, buyer) table with a key, so
-- rollup.maintain.postgres.sql can add new purchases to it (revenue and purchases are sums:
-- an insert is an additive upsert; keeping the buyer keeps `buyers` exact under a date range).
DROP TABLE IF EXISTS rollup_category_day;
CREATE TABLE rollup_category_day AS
SELECT
    CAST(e."timestamp" AS DATE) AS day,
    p.category,
    e.user_id,
    CAST(SUM(p.price) AS DECIMAL(18, 2)) AS revenue,
    CAST(COUNT(*) AS BIGINT) AS purchases
FROM events AS e
JOIN products AS p ON p.product_id = e.product_id
WHERE e.event_type = 'purchased'
GROUP BY 1, 2, 3;
ALTER TABLE rollup_category_day ADD PRIMARY KEY (day, category, user_id);
ANALYZE rollup_category_day;
