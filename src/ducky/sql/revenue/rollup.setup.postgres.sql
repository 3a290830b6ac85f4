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
-- The same metric over all days, per (category, currency): what `ducky query revenue` without
-- --from/--to asks (as DuckDB's rollup.setup.sql has it). Read as is, it spares the query the
-- per-buyer and per-order grouping of every rollup row. Buyers and orders are distinct counts,
-- which cannot be summed, so two keyed sets keep who has already been counted:
-- rollup_category_buyers (category, currency, user_id) and rollup_category_orders (category,
-- currency, order_id). The insert trigger adds a new purchase's buyer or order to them with
-- ON CONFLICT DO NOTHING ... RETURNING, and only the rows that came back (first purchase of
-- that buyer or order in that category and currency) add 1 to the totals: exact, and two
-- concurrent inserters of the same new buyer count it once (the second waits on the first's
-- key and then does nothing).
DROP TABLE IF EXISTS rollup_category_totals;
DROP TABLE IF EXISTS rollup_category_buyers;
DROP TABLE IF EXISTS rollup_category_orders;
CREATE TABLE rollup_category_buyers AS
SELECT DISTINCT category, currency, user_id FROM rollup_category_day;
ALTER TABLE rollup_category_buyers ADD PRIMARY KEY (category, currency, user_id);
CREATE TABLE rollup_category_orders AS
SELECT DISTINCT category, currency, order_id FROM rollup_category_day WHERE order_id IS NOT NULL;
ALTER TABLE rollup_category_orders ADD PRIMARY KEY (category, currency, order_id);
CREATE TABLE rollup_category_totals AS
WITH sums AS (
    SELECT
        category, currency,
        SUM(revenue) AS revenue, SUM(purchases) AS purchases, SUM(orderless) AS orderless
    FROM rollup_category_day
    GROUP BY category, currency
),
buyers AS (
    SELECT category, currency, COUNT(*) AS n FROM rollup_category_buyers GROUP BY 1, 2
),
orders AS (
    SELECT category, currency, COUNT(*) AS n FROM rollup_category_orders GROUP BY 1, 2
)
SELECT
    s.category,
    s.currency,
    CAST(s.revenue AS DECIMAL(18, 2)) AS revenue,
    CAST(s.purchases AS BIGINT) AS purchases,
    -- purchases without an order id count one order each
    CAST(s.orderless + COALESCE(o.n, 0) AS BIGINT) AS orders,
    CAST(COALESCE(b.n, 0) AS BIGINT) AS buyers
FROM sums AS s
LEFT JOIN buyers AS b ON b.category = s.category AND b.currency = s.currency
LEFT JOIN orders AS o ON o.category = s.category AND o.currency = s.currency;
ALTER TABLE rollup_category_totals ADD PRIMARY KEY (category, currency);
ANALYZE rollup_category_buyers, rollup_category_orders, rollup_category_totals;
