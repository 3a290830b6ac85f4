/* Cohort retention, baseline: the straightforward correct query. Every event is joined to its */
/* user and COUNT(DISTINCT user_id) runs per (cohort, week) over the raw events, without first */
/* reducing events to distinct active days. Same rows and columns as optimized.sql. */
WITH per_event AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', u.signup_date) AS DATE) AS cohort_month,
    e.user_id,
    CAST(FLOOR(DATEDIFF(DAY, u.signup_date, CAST(e."timestamp" AS DATE)) / 7) AS INT) AS week
  FROM events AS e
  JOIN users AS u
    ON u.user_id = e.user_id
  WHERE
    CAST(e."timestamp" AS DATE) >= u.signup_date
    AND (
      NULL IS NULL OR e.event_type = NULL
    )
), retained AS (
  SELECT
    cohort_month,
    week,
    COUNT(DISTINCT user_id) AS retained
  FROM per_event
  WHERE
    week <= 8
  GROUP BY
    cohort_month,
    week
), cohorts AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', signup_date) AS DATE) AS cohort_month,
    COUNT(*) AS cohort_size,
    MAX(signup_date) AS last_signup
  FROM users
  GROUP BY
    1
), grid AS (
  SELECT
    c.cohort_month,
    c.cohort_size,
    c.last_signup,
    w.week
  FROM cohorts AS c
  CROSS JOIN TABLE(FLATTEN(INPUT => ARRAY_GENERATE_RANGE(0, 8 + 1))) AS w(seq, key, path, index, week, this)
)
SELECT
  g.cohort_month,
  CAST(g.cohort_size AS BIGINT) AS cohort_size,
  g.week,
  CAST(COALESCE(r.retained, 0) AS BIGINT) AS retained,
  CASE
    WHEN DATEDIFF(DAY, g.last_signup, (
      SELECT
        CAST(MAX("timestamp") AS DATE)
      FROM events
    )) >= 7 * g.week + 6
    THEN CAST(COALESCE(r.retained, 0) AS DOUBLE) / g.cohort_size
  END AS rate,
  DATEDIFF(DAY, g.last_signup, (
    SELECT
      CAST(MAX("timestamp") AS DATE)
    FROM events
  )) >= 7 * g.week + 6 AS complete
FROM grid AS g
LEFT JOIN retained AS r
  ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY
  g.cohort_month,
  g.week
