-- Revenue per category on SQLite: prices are integer cents, timestamps ISO text (which
-- compares as the instants do, so the half-open [from, to) range is a text comparison).
WITH purchases AS (
    SELECT user_id, product_id
    FROM events
    WHERE event_type = 'purchased'
      AND (:date_from IS NULL OR "timestamp" >= :date_from)
      AND (:date_to IS NULL OR "timestamp" < :date_to)
)
SELECT
    p.category AS category,
    SUM(p.price) AS "revenue [cents]",
    COUNT(*) AS purchases,
    COUNT(DISTINCT e.user_id) AS buyers
FROM purchases AS e
JOIN products AS p ON p.product_id = e.product_id
GROUP BY p.category
ORDER BY SUM(p.price) DESC, p.category
