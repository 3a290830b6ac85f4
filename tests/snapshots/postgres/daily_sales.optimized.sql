/* Daily sales per category: purchases, revenue (SUM of products.price) and distinct buyers per */
/* UTC calendar day. Parameters: :date_from, :date_to (half-open [from, to), NULL = unbounded). */
SELECT
  CAST(e."timestamp" AS DATE) AS day,
  p.category,
  CAST(COUNT(*) AS BIGINT) AS purchases,
  CAST(SUM(p.price) AS DECIMAL(18, 2)) AS revenue,
  CAST(COUNT(DISTINCT e.user_id) AS BIGINT) AS buyers
FROM events AS e
JOIN products AS p
  ON p.product_id = e.product_id
WHERE
  e.event_type = 'purchased'
  AND (
    NULL IS NULL OR e."timestamp" >= CAST(NULL AS TIMESTAMP)
  )
  AND (
    NULL IS NULL OR e."timestamp" < CAST(NULL AS TIMESTAMP)
  )
GROUP BY
  CAST(e."timestamp" AS DATE),
  p.category
ORDER BY
  day,
  p.category
