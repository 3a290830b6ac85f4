-- Revenue per category from the (day, category, buyer) rollup (rollup.setup.sql).
SELECT
    category,
    CAST(SUM(revenue) AS DECIMAL(18, 2)) AS revenue,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    CAST(COUNT(DISTINCT user_id) AS BIGINT) AS buyers
FROM rollup_category_day
WHERE (:date_from IS NULL OR day >= CAST(:date_from AS DATE))
  AND (:date_to IS NULL OR day < CAST(:date_to AS DATE))
GROUP BY category
ORDER BY revenue DESC, category
