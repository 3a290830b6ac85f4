/* ClickHouse (chdb engine) override of cohort/baseline.sql: the same straightforward shape */
/* (COUNT(DISTINCT user_id) per cell over the raw events joined to users), with the week grid as */
/* ARRAY JOIN range(...) (ClickHouse has no UNNEST(GENERATE_SERIES)) and weeks since signup by */
/* intDiv (exact integer division). */
WITH per_event AS (
  SELECT
    dateTrunc('MONTH', u.signup_date) AS cohort_month,
    e.user_id AS user_id,
    intDiv(DATE_DIFF(DAY, u.signup_date, toDate(e."timestamp")), 7) AS week
  FROM events AS e
  JOIN users AS u
    ON u.user_id = e.user_id
  WHERE
    toDate(e."timestamp") >= u.signup_date
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
    dateTrunc('MONTH', signup_date) AS cohort_month,
    COUNT(*) AS cohort_size,
    MAX(signup_date) AS last_signup
  FROM users
  GROUP BY
    cohort_month
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
    WHEN DATE_DIFF(DAY, g.last_signup, (
      SELECT
        toDate(MAX("timestamp"))
      FROM events
    )) >= 7 * g.week + 6
    THEN CAST(COALESCE(r.retained, 0) AS Float64) / g.cohort_size
  END AS rate,
  DATE_DIFF(DAY, g.last_signup, (
    SELECT
      toDate(MAX("timestamp"))
    FROM events
  )) >= 7 * g.week + 6 AS complete
FROM grid AS g
LEFT JOIN retained AS r
  ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY
  g.cohort_month,
  g.week
