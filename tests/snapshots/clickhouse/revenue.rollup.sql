/* Revenue per category from the rollups (rollup.setup.sql). Without a date range: the */
/* per-category totals table. With one: the (day, category, buyer) table, summed over the days */
/* in [from, to), buyers counted distinct. Exactly one branch has a true condition; the */
/* parameters are literals, so the other branch is planned away. */
WITH totals AS (
  SELECT
    category,
    revenue,
    purchases,
    buyers
  FROM rollup_category_totals
  WHERE
    NULL IS NULL AND NULL IS NULL
), ranged AS (
  SELECT
    category,
    CAST(SUM(revenue) AS Nullable(Decimal(18, 2))) AS revenue,
    CAST(SUM(purchases) AS Nullable(Int64)) AS purchases,
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
    category
)
SELECT
  category,
  CAST(revenue AS Nullable(Decimal(18, 2))) AS revenue,
  CAST(purchases AS Nullable(Int64)) AS purchases,
  CAST(buyers AS Nullable(Int64)) AS buyers
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
  category
