/* Revenue per (category, currency) from the rollups (rollup.setup.sql). Without a date range: */
/* the totals table. With one: the (day, category, currency, buyer, order) table, summed over */
/* the days in [from, to), buyers and orders counted distinct (order-less purchases count one */
/* order each: `orderless`). Exactly one branch has a true condition; the parameters are */
/* literals, so the other branch is planned away. */
WITH totals AS (
  SELECT
    category,
    currency,
    revenue,
    purchases,
    orders,
    buyers
  FROM rollup_category_totals
  WHERE
    NULL IS NULL AND NULL IS NULL
), ranged AS (
  SELECT
    category,
    currency,
    CAST(SUM(revenue) AS Nullable(Decimal(18, 2))) AS revenue,
    CAST(SUM(purchases) AS Nullable(Int64)) AS purchases,
    CAST(COUNT(DISTINCT order_id) + SUM(orderless) AS Nullable(Int64)) AS orders,
    CAST(COUNT(DISTINCT user_id) AS Nullable(Int64)) AS buyers
  FROM rollup_category_day
  WHERE
    NOT (
      NULL IS NULL AND NULL IS NULL
    )
    AND (
      NULL IS NULL OR day >= CAST(NULL AS Nullable(DATE))
    )
    AND (
      NULL IS NULL OR day < CAST(NULL AS Nullable(DATE))
    )
  GROUP BY
    category,
    currency
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
FROM (
  SELECT
    *
  FROM totals
  UNION ALL
  SELECT
    *
  FROM ranged
) AS r
ORDER BY
  revenue DESC,
  category,
  currency
