/* Revenue per (category, currency), baseline: the seed solution's join-then-filter query, */
/* extended to the canonical definition (METRICS.md) and the [from, to) range. Same rows as */
/* optimized.sql. A line's revenue is its amount (paid, after discounts), else quantity */
/* (NULL = 1) x catalog price; a purchase of no known product is category 'unknown'. 'USD' is */
/* schema.DEFAULT_CURRENCY: the currency of purchases that carry none. */
/* avg_order_value = revenue / orders rounded half up (away from zero) in integer cents: DuckDB */
/* divides decimals in floating point (16.615 would round down), so the division is an integer */
/* one, of |revenue| with the sign put back (`//` truncates toward zero: -9.99 for -10.00). */
SELECT
  category,
  currency,
  revenue,
  purchases,
  orders,
  buyers,
  CAST(CAST(CASE WHEN revenue < 0 THEN -1 ELSE 1 END * (
    CAST(TRUNC((
      2 * CAST(ABS(revenue) * 100 AS BIGINT) + orders
    ) / (
      2 * orders
    )) AS BIGINT)
  ) AS DECIMAL(18, 0)) * CAST(0.01 AS DECIMAL(3, 2)) AS DECIMAL(18, 2)) AS avg_order_value
FROM (
  SELECT
    COALESCE(p.category, 'unknown') AS category,
    COALESCE(e.currency, 'USD') AS currency,
    CAST(COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)), 0) AS DECIMAL(18, 2)) AS revenue,
    CAST(COUNT(*) AS BIGINT) AS purchases,
    CAST(COUNT(DISTINCT e.order_id) + COUNT(*) - COUNT(e.order_id) AS BIGINT) AS orders, /* each order-less purchase is its own order */
    CAST(COUNT(DISTINCT e.user_id) AS BIGINT) AS buyers
  FROM events AS e
  LEFT JOIN products AS p
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
    COALESCE(p.category, 'unknown'),
    COALESCE(e.currency, 'USD')
) AS g
ORDER BY
  revenue DESC NULLS LAST,
  category,
  currency
