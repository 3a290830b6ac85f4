/* Cohort retention, baseline: the straightforward correct query. Every event is joined to its */
/* user and COUNT(DISTINCT user_id) runs per (cohort, week) over the raw events, without first */
/* reducing events to distinct active days. Same rows and columns as optimized.sql. */
WITH per_event AS (
  SELECT
    CAST(DATE_TRUNC(u.signup_date, MONTH) AS DATE) AS cohort_month,
    e.user_id,
    CAST(FLOOR(DATE_DIFF(CAST(e.`timestamp` AS DATE), u.signup_date, DAY) / 7) AS INT64) AS week
  FROM events AS e
  JOIN users AS u
    ON u.user_id = e.user_id
  WHERE
    CAST(e.`timestamp` AS DATE) >= u.signup_date AND (
      NULL IS NULL OR NULL
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
    CAST(DATE_TRUNC(signup_date, MONTH) AS DATE) AS cohort_month,
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
    week
  FROM cohorts AS c
  CROSS JOIN UNNEST(GENERATE_ARRAY(0, 8)) AS week
)
SELECT
  g.cohort_month,
  CAST(g.cohort_size AS INT64) AS cohort_size,
  g.week,
  CAST(COALESCE(r.retained, 0) AS INT64) AS retained,
  CASE
    WHEN DATE_DIFF((
      SELECT
        CAST(MAX(`timestamp`) AS DATE)
      FROM events
    ), g.last_signup, DAY) >= 7 * g.week + 6
    THEN CAST(COALESCE(r.retained, 0) AS FLOAT64) / g.cohort_size
  END AS rate,
  DATE_DIFF((
    SELECT
      CAST(MAX(`timestamp`) AS DATE)
    FROM events
  ), g.last_signup, DAY) >= 7 * g.week + 6 AS complete
FROM grid AS g
LEFT JOIN retained AS r
  ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY
  g.cohort_month NULLS LAST,
  g.week NULLS LAST
