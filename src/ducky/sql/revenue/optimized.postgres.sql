-- Revenue per (category, currency), PostgreSQL: aggregate per (category, currency, buyer)
-- first, then per (category, currency). With the partial covering index
-- (optimized.setup.postgres.sql) the purchases come from an index-only scan; what remained was
-- COUNT(DISTINCT user_id), which PostgreSQL always computes by sorting every purchase row.
-- Grouping by buyer first is a hash aggregate, and `buyers` becomes a plain COUNT(*) of those
-- groups (distinct-then-count); distinct order ids are counted the same way, in their own
-- aggregate. Same rows as optimized.sql ('USD' is schema.DEFAULT_CURRENCY).
WITH purchases AS (
    SELECT
        e.user_id,
        e.order_id,
        COALESCE(p.category, 'unknown') AS category,
        COALESCE(e.currency, 'USD') AS currency,
        COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price) AS revenue
    FROM events AS e
    LEFT JOIN products AS p ON p.product_id = e.product_id
    WHERE e.event_type = 'purchased'
      AND (CAST(:date_from AS TEXT) IS NULL OR e."timestamp" >= CAST(:date_from AS TIMESTAMP))
      AND (CAST(:date_to AS TEXT) IS NULL OR e."timestamp" < CAST(:date_to AS TIMESTAMP))
),
per_buyer AS (
    SELECT
        category, currency, user_id,
        SUM(revenue) AS revenue, COUNT(*) AS purchases, COUNT(order_id) AS with_order
    FROM purchases
    GROUP BY category, currency, user_id
),
per_group AS (
    SELECT
        category, currency,
        COALESCE(SUM(revenue), 0) AS revenue,
        SUM(purchases) AS purchases,
        SUM(purchases) - SUM(with_order) AS orderless,
        COUNT(*) AS buyers
    FROM per_buyer
    GROUP BY category, currency
),
per_order AS (
    SELECT category, currency, COUNT(*) AS orders
    FROM (SELECT DISTINCT category, currency, order_id FROM purchases WHERE order_id IS NOT NULL) AS o
    GROUP BY category, currency
)
SELECT
    g.category,
    g.currency,
    CAST(g.revenue AS DECIMAL(18, 2)) AS revenue,
    CAST(g.purchases AS BIGINT) AS purchases,
    CAST(g.orderless + COALESCE(o.orders, 0) AS BIGINT) AS orders,
    CAST(g.buyers AS BIGINT) AS buyers,
    -- half away from zero in integer cents (DIV truncates toward zero), like the canonical SQL
    CAST(CAST(CASE WHEN g.revenue < 0 THEN -1 ELSE 1 END * DIV(2 * CAST(ABS(g.revenue) * 100 AS BIGINT) + g.orderless + COALESCE(o.orders, 0), 2 * (g.orderless + COALESCE(o.orders, 0))) AS DECIMAL(18, 0)) * CAST(0.01 AS DECIMAL(3, 2)) AS DECIMAL(18, 2)) AS avg_order_value
FROM per_group AS g
LEFT JOIN per_order AS o ON o.category = g.category AND o.currency = g.currency
ORDER BY revenue DESC, category, currency
