/* Revenue per category (METRICS.md): revenue = SUM(products.price) over 'purchased' events, */
/* purchases = COUNT of those events, buyers = distinct purchasing users. */
/* Parameters: :date_from, :date_to (half-open [from, to), NULL = unbounded). */
WITH purchases AS (
  SELECT
    user_id,
    product_id
  FROM events
  WHERE
    event_type = 'purchased'
    AND (
      NULL IS NULL OR "timestamp" >= CAST(NULL AS Nullable(DateTime))
    )
    AND (
      NULL IS NULL OR "timestamp" < CAST(NULL AS Nullable(DateTime))
    )
)
SELECT
  p.category,
  CAST(SUM(p.price) AS Nullable(Decimal(18, 2))) AS revenue,
  CAST(COUNT(*) AS Nullable(Int64)) AS purchases,
  CAST(COUNT(DISTINCT e.user_id) AS Nullable(Int64)) AS buyers
FROM purchases AS e
JOIN products AS p
  ON p.product_id = e.product_id
GROUP BY
  p.category
ORDER BY
  revenue DESC,
  p.category
