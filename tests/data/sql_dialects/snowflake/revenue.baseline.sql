/* Revenue per category, baseline: the seed solution's join-then-filter query, extended with the */
/* canonical purchases/buyers columns and the [from, to) range. Same rows as optimized.sql. */
SELECT
  p.category,
  CAST(SUM(p.price) AS DECIMAL(18, 2)) AS revenue,
  CAST(COUNT(*) AS BIGINT) AS purchases,
  CAST(COUNT(DISTINCT e.user_id) AS BIGINT) AS buyers
FROM events AS e
JOIN products AS p
  ON e.product_id = p.product_id
WHERE
  e.event_type = 'purchased'
  AND (
    NULL IS NULL OR e."timestamp" >= CAST(NULL AS TIMESTAMPNTZ)
  )
  AND (
    NULL IS NULL OR e."timestamp" < CAST(NULL AS TIMESTAMPNTZ)
  )
GROUP BY
  p.category
ORDER BY
  revenue DESC NULLS LAST,
  p.category
