/* Revenue per category, baseline: the seed solution's join-then-filter query, extended with the */
/* canonical purchases/buyers columns and the [from, to) range. Same rows as optimized.sql. */
SELECT
  p.category,
  CAST(SUM(p.price) AS NUMERIC) AS revenue,
  CAST(COUNT(*) AS INT64) AS purchases,
  CAST(COUNT(DISTINCT e.user_id) AS INT64) AS buyers
FROM events AS e
JOIN products AS p
  ON e.product_id = p.product_id
WHERE
  e.event_type = 'purchased'
  AND (
    NULL IS NULL OR e.`timestamp` >= CAST(NULL AS DATETIME)
  )
  AND (
    NULL IS NULL OR e.`timestamp` < CAST(NULL AS DATETIME)
  )
GROUP BY
  p.category
ORDER BY
  revenue DESC,
  p.category NULLS LAST
