/* Revenue per category, PostgreSQL: aggregate per (category, buyer) first, then per category. */
/* With the partial covering index (optimized.setup.postgres.sql) the purchases come from an */
/* index-only scan; what remained was COUNT(DISTINCT user_id), which PostgreSQL always computes */
/* by sorting every purchase row by (category, user). Grouping by (category, user) first is a */
/* hash aggregate, and `buyers` becomes a plain COUNT(*) of those groups (distinct-then-count). */
WITH purchases AS (
  SELECT
    e.user_id,
    p.category,
    p.price
  FROM events AS e
  JOIN products AS p
    ON p.product_id = e.product_id
  WHERE
    e.event_type = 'purchased'
    AND (
      CAST(NULL AS TEXT) IS NULL OR e."timestamp" >= CAST(NULL AS TIMESTAMP)
    )
    AND (
      CAST(NULL AS TEXT) IS NULL OR e."timestamp" < CAST(NULL AS TIMESTAMP)
    )
), per_buyer AS (
  SELECT
    category,
    user_id,
    SUM(price) AS revenue,
    COUNT(*) AS purchases
  FROM purchases
  GROUP BY
    category,
    user_id
)
SELECT
  category,
  CAST(SUM(revenue) AS DECIMAL(18, 2)) AS revenue,
  CAST(SUM(purchases) AS BIGINT) AS purchases,
  CAST(COUNT(*) AS BIGINT) AS buyers
FROM per_buyer
GROUP BY
  category
ORDER BY
  revenue DESC,
  category
