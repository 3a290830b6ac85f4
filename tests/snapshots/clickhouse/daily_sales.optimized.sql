/* Daily sales per (UTC calendar day, category, currency): purchases, revenue and distinct */
/* buyers. Revenue follows METRICS.md exactly, the same line expression as revenue/ *.sql: a */
/* purchase's amount (paid, after discounts), else quantity (NULL = 1) x products.price; never */
/* summed across currencies (none given = 'USD', schema.DEFAULT_CURRENCY). A purchase of no */
/* known product is kept, category 'unknown', as in `ducky query revenue`. */
/* Parameters: :date_from, :date_to (half-open [from, to), NULL = unbounded). */
SELECT
  CAST(e."timestamp" AS Nullable(DATE)) AS day,
  COALESCE(p.category, 'unknown') AS category,
  COALESCE(e.currency, 'USD') AS currency,
  CAST(COUNT(*) AS Nullable(Int64)) AS purchases,
  CAST(COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)), 0) AS Nullable(Decimal(18, 2))) AS revenue,
  CAST(COUNT(DISTINCT e.user_id) AS Nullable(Int64)) AS buyers
FROM events AS e
LEFT JOIN products AS p
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
  COALESCE(p.category, 'unknown'),
  COALESCE(e.currency, 'USD')
ORDER BY
  day,
  category,
  currency
