/* Daily sales per category: purchases, revenue (SUM of products.price) and distinct buyers per */
/* UTC calendar day. Parameters: :date_from, :date_to (half-open [from, to), NULL = unbounded). */
SELECT
  CAST(e."timestamp" AS Nullable(DATE)) AS day,
  p.category,
  CAST(COUNT(*) AS Nullable(Int64)) AS purchases,
  CAST(SUM(p.price) AS Nullable(Decimal(18, 2))) AS revenue,
  CAST(COUNT(DISTINCT e.user_id) AS Nullable(Int64)) AS buyers
FROM events AS e
JOIN products AS p
  ON p.product_id = e.product_id
WHERE
  e.event_type = 'purchased'
  AND (
    NULL IS NULL OR e."timestamp" >= CAST(NULL AS Nullable(DateTime))
  )
  AND (
    NULL IS NULL OR e."timestamp" < CAST(NULL AS Nullable(DateTime))
  )
GROUP BY
  CAST(e."timestamp" AS Nullable(DATE)),
  p.category
ORDER BY
  day,
  p.category
