/* PostgreSQL override of cohort/optimized.sql, in PostgreSQL: the earlier canonical shape */
/* (sqlglot's rendering of it), since the DuckDB one uses BITSTRING_AGG, EPOCH_US and typeof(). */
/* Distinct (user, day) pairs first, joined to users, then distinct (cohort, user, week) counted. */
WITH bounds AS (
  SELECT
    CAST(MAX("timestamp") AS DATE) AS last_day
  FROM events
), cohort_users AS (
  SELECT
    user_id,
    signup_date,
    CAST(DATE_TRUNC('MONTH', signup_date) AS DATE) AS cohort_month
  FROM users
), cohorts AS (
  SELECT
    cohort_month,
    COUNT(*) AS cohort_size,
    MAX(signup_date) AS last_signup
  FROM cohort_users
  GROUP BY
    cohort_month
), active_days AS (
  SELECT DISTINCT
    user_id,
    CAST("timestamp" AS DATE) AS day
  FROM events
  WHERE
    (
      NULL IS NULL OR event_type = NULL
    )
), activity AS (
  SELECT DISTINCT
    u.cohort_month,
    u.user_id,
    CAST(FLOOR(
      CAST((
        CAST(a.day AS DATE) - CAST(u.signup_date AS DATE)
      ) AS DOUBLE PRECISION) / 7
    ) AS INT) AS week
  FROM active_days AS a
  JOIN cohort_users AS u
    ON u.user_id = a.user_id
  WHERE
    a.day >= u.signup_date
    AND (
      CAST(a.day AS DATE) - CAST(u.signup_date AS DATE)
    ) < 7 * (
      8 + 1
    )
), retained AS (
  SELECT
    cohort_month,
    week,
    COUNT(*) AS retained
  FROM activity
  GROUP BY
    cohort_month,
    week
), grid AS (
  SELECT
    c.cohort_month,
    c.cohort_size,
    c.last_signup,
    w.week
  FROM cohorts AS c
  CROSS JOIN GENERATE_SERIES(CAST(0 AS BIGINT), CAST(8 AS BIGINT)) AS w(week)
)
SELECT
  g.cohort_month,
  CAST(g.cohort_size AS BIGINT) AS cohort_size,
  g.week,
  CAST(COALESCE(r.retained, 0) AS BIGINT) AS retained,
  CASE
    WHEN (
      CAST(b.last_day AS DATE) - CAST(g.last_signup AS DATE)
    ) >= 7 * g.week + 6
    THEN CAST(COALESCE(r.retained, 0) AS DOUBLE PRECISION) / g.cohort_size
  END AS rate,
  (
    CAST(b.last_day AS DATE) - CAST(g.last_signup AS DATE)
  ) >= 7 * g.week + 6 AS complete
FROM grid AS g
CROSS JOIN bounds AS b
LEFT JOIN retained AS r
  ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY
  g.cohort_month,
  g.week
