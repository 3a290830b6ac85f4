/* Revenue per category, baseline: the seed solution's join-then-filter query, extended with the */
/* canonical purchases/buyers columns and the [from, to) range. Same rows as optimized.sql. */
SELECT
  p.category,
  CAST(SUM(p.price) AS Nullable(Decimal(18, 2))) AS revenue,
  CAST(COUNT(*) AS Nullable(Int64)) AS purchases,
  CAST(COUNT(DISTINCT e.user_id) AS Nullable(Int64)) AS buyers
FROM events AS e
JOIN products AS p
  ON e.product_id = p.product_id
WHERE
  e.event_type = 'purchased'
  AND (
    NULL IS NULL OR e."timestamp" >= CAST(NULL AS Nullable(DateTime))
  )
  AND (
    NULL IS NULL OR e."timestamp" < CAST(NULL AS Nullable(DateTime))
  )
GROUP BY
  p.category
ORDER BY
  revenue DESC,
  p.category
