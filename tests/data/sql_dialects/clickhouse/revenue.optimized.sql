/* Revenue per (category, currency) (METRICS.md): revenue = SUM over 'purchased' events of the */
/* line's amount, else quantity (NULL = 1) x products.price; purchases = COUNT of those events; */
/* orders = distinct order_id (each order-less purchase its own order); buyers = distinct */
/* purchasing users; avg_order_value = revenue / orders. 'USD' is schema.DEFAULT_CURRENCY. */
/* Parameters: :date_from, :date_to (half-open [from, to), NULL = unbounded). */
/* Filter the purchases (a few % of events) before the join, then one aggregation. */
WITH purchases AS (
  SELECT
    user_id,
    product_id,
    order_id,
    quantity,
    amount,
    currency
  FROM events
  WHERE
    event_type = 'purchased'
    AND (
      NULL IS NULL OR "timestamp" >= CAST(NULL AS Nullable(DateTime))
    )
    AND (
      NULL IS NULL OR "timestamp" < CAST(NULL AS Nullable(DateTime))
    )
), per_group AS (
  SELECT
    COALESCE(p.category, 'unknown') AS category,
    COALESCE(e.currency, 'USD') AS currency,
    COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)), 0) AS revenue,
    COUNT(*) AS purchases,
    COUNT(DISTINCT e.order_id) + COUNT(*) - COUNT(e.order_id) AS orders,
    COUNT(DISTINCT e.user_id) AS buyers
  FROM purchases AS e
  LEFT JOIN products AS p
    ON p.product_id = e.product_id
  GROUP BY
    COALESCE(p.category, 'unknown'),
    COALESCE(e.currency, 'USD')
)
SELECT
  category,
  currency,
  CAST(revenue AS Nullable(Decimal(18, 2))) AS revenue,
  CAST(purchases AS Nullable(Int64)) AS purchases,
  CAST(orders AS Nullable(Int64)) AS orders,
  CAST(buyers AS Nullable(Int64)) AS buyers,
  CAST(CAST(CASE WHEN revenue < 0 THEN -1 ELSE 1 END * (
    CAST((
      2 * CAST(ABS(revenue) * 100 AS Nullable(Int64)) + orders
    ) / (
      2 * orders
    ) AS Nullable(Int64))
  ) AS Nullable(Decimal(18, 0))) * CAST(0.01 AS Nullable(Decimal(3, 2))) AS Nullable(Decimal(18, 2))) AS avg_order_value /* revenue / orders half away from zero in integer cents (DuckDB divides decimals in floating */ /* point; `//` truncates toward zero, so it divides |revenue| and puts the sign back) */
FROM per_group
ORDER BY
  revenue DESC,
  category,
  currency
