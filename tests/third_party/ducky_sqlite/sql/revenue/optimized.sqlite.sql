-- Revenue per (category, currency) on SQLite, the canonical definition (METRICS.md): a
-- purchase's revenue is its amount, else quantity (default 1) x price; no product -> category
-- 'unknown'; no currency -> USD; an order-less purchase is its own order. Prices and amounts
-- are integer cents, so sums stay exact and the average order value is rounded half up in
-- integer arithmetic; timestamps are ISO text (the half-open [from, to) range compares text).
WITH purchases AS (
    SELECT user_id, product_id, order_id, quantity, amount, currency
    FROM events
    WHERE event_type = 'purchased'
      AND (:date_from IS NULL OR "timestamp" >= :date_from)
      AND (:date_to IS NULL OR "timestamp" < :date_to)
),
per_group AS (
    SELECT
        COALESCE(p.category, 'unknown') AS category,
        COALESCE(e.currency, 'USD') AS currency,
        COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)), 0) AS revenue,
        COUNT(*) AS purchases,
        COUNT(DISTINCT e.order_id) + COUNT(*) - COUNT(e.order_id) AS orders,
        COUNT(DISTINCT e.user_id) AS buyers
    FROM purchases AS e
    LEFT JOIN products AS p ON p.product_id = e.product_id
    GROUP BY COALESCE(p.category, 'unknown'), COALESCE(e.currency, 'USD')
)
SELECT
    category,
    currency,
    revenue AS "revenue [cents]",
    purchases,
    orders,
    buyers,
    (2 * revenue + orders) / (2 * orders) AS "avg_order_value [cents]"
FROM per_group
ORDER BY revenue DESC, category, currency
