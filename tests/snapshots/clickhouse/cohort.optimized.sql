/* ClickHouse (chdb engine) override of cohort/optimized.sql. Why: the week grid is */
/* UNNEST(GENERATE_SERIES(...)) in DuckDB, which ClickHouse spells ARRAY JOIN range(...); */
/* weeks since signup use intDiv (exact integer division: ClickHouse's `/` is always Float64); */
/* and retained users per cell are uniqExact over the distinct (user, day) pairs, ClickHouse's */
/* native exact distinct count. LEFT JOIN's missing side is NULL because the engine runs every */
/* query with join_use_nulls = 1. */
WITH bounds AS (
  SELECT
    toDate(MAX("timestamp")) AS last_day
  FROM events
), cohorts AS (
  SELECT
    dateTrunc('MONTH', signup_date) AS cohort_month,
    COUNT(*) AS cohort_size,
    MAX(signup_date) AS last_signup
  FROM users
  GROUP BY
    cohort_month
), active_days AS (
  SELECT DISTINCT
    user_id,
    toDate("timestamp") AS day
  FROM events
  WHERE
    (
      NULL IS NULL OR event_type = NULL
    )
), retained AS (
  SELECT
    dateTrunc('MONTH', u.signup_date) AS cohort_month,
    intDiv(DATE_DIFF(DAY, u.signup_date, a.day), 7) AS week,
    uniqExact(a.user_id) AS retained
  FROM active_days AS a
  JOIN users AS u
    ON u.user_id = a.user_id
  WHERE
    a.day >= u.signup_date AND DATE_DIFF(DAY, u.signup_date, a.day) < 7 * (
      8 + 1
    )
  GROUP BY
    cohort_month,
    week
), grid AS (
  SELECT
    cohort_month,
    cohort_size,
    last_signup,
    CAST(week AS Int32) AS week
  FROM cohorts
  ARRAY JOIN range(0, 8 + 1) AS week
)
SELECT
  g.cohort_month AS cohort_month,
  CAST(g.cohort_size AS Int64) AS cohort_size,
  g.week AS week,
  CAST(COALESCE(r.retained, 0) AS Int64) AS retained,
  CASE
    WHEN DATE_DIFF(DAY, g.last_signup, b.last_day) >= 7 * g.week + 6
    THEN CAST(COALESCE(r.retained, 0) AS Float64) / g.cohort_size
  END AS rate,
  DATE_DIFF(DAY, g.last_signup, b.last_day) >= 7 * g.week + 6 AS complete
FROM grid AS g
CROSS JOIN bounds AS b
LEFT JOIN retained AS r
  ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY
  g.cohort_month,
  g.week
