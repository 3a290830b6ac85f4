/* Cohort retention (METRICS.md): monthly signup cohorts, weekly returns measured from each */
/* user's own signup date: week = floor((date(t) - signup_date) / 7), events before signup */
/* ignored. A cell is complete when every user of the cohort was observable for all of week k: */
/* max(signup_date) + 7*(k+1) - 1 <= last data date. Incomplete cells get rate NULL (never 0 %). */
/* Parameters: :weeks (last week shown, 8), :event_type (NULL = any event counts as a return). */
/* Why this shape (measured with benchmarks/peers.py, docs/BENCHMARKS.md): */
/* 1. No DISTINCT over (user, day) first. Every event is probed once against the users hash */
/*    table (a few million rows at most), and only events inside the first :weeks + 1 weeks */
/*    after signup go on: that costs less than hashing ~all (user, day) pairs of the events. */
/* 2. Days as integers. UTC day numbers (epoch microseconds floor-divided by a day; the shift by */
/*    10,000,000 days keeps the dividend positive, as `//` truncates toward zero) and signup day */
/*    numbers make the week since signup integer arithmetic, not a DATE cast per event. */
/* 3. Retained users as bits: one 256-bit BITSTRING per (cohort, week, block of 256 ids), the */
/*    cell's users the sum of BIT_COUNT. Exact, constant bounds, no statistics; sparse ids only */
/*    mean more groups. When user_id is not an integer column, the constant typeof() test turns */
/*    the bit branch into an empty result at plan time and COUNT(DISTINCT) answers instead. */
/* baseline.sql keeps the straightforward shape (COUNT(DISTINCT) per cell over the raw join). */
WITH bounds AS (
  SELECT
    CAST(MAX(`timestamp`) AS DATE) AS last_day
  FROM events
), cohort_users AS (
  SELECT
    user_id,
    DATE_DIFF(signup_date, CAST('1970-01-01' AS DATE), DAY) AS signup_day,
    CAST(DATE_TRUNC(signup_date, MONTH) AS DATE) AS cohort_month
  FROM users
), cohorts AS (
  SELECT
    CAST(DATE_TRUNC(signup_date, MONTH) AS DATE) AS cohort_month,
    COUNT(*) AS cohort_size,
    MAX(signup_date) AS last_signup
  FROM users
  GROUP BY
    1
), returns AS (
  SELECT
    u.cohort_month,
    u.user_id,
    CAST(DIV((
      e.day - u.signup_day
    ), 7) AS INT64) AS week
  FROM (
    SELECT
      user_id,
      DIV((
        EPOCH_US(`timestamp`) + 10000000 * 86400000000
      ), 86400000000) - 10000000 AS day
    FROM events
    WHERE
      (
        NULL IS NULL OR NULL
      )
  ) AS e
  JOIN cohort_users AS u
    ON u.user_id = e.user_id
  WHERE
    e.day >= u.signup_day AND e.day - u.signup_day < 7 * (
      8 + 1
    )
), int_blocks AS (
  SELECT
    cohort_month,
    week,
    SAFE_CAST(user_id AS INT64) >> 8 AS block,
    BITSTRING_AGG(SAFE_CAST(user_id AS INT64) & 255, 0, 255) AS members
  FROM returns
  WHERE
    TYPEOF(user_id) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT')
  GROUP BY
    1,
    2,
    3
), retained AS (
  SELECT
    cohort_month,
    week,
    SUM(BIT_COUNT(members)) AS retained
  FROM int_blocks
  GROUP BY
    cohort_month,
    week
  UNION ALL
  SELECT
    cohort_month,
    week,
    COUNT(DISTINCT user_id) AS retained
  FROM returns
  WHERE
    NOT TYPEOF(user_id) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT')
  GROUP BY
    cohort_month,
    week
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
    WHEN DATE_DIFF(b.last_day, g.last_signup, DAY) >= 7 * g.week + 6
    THEN CAST(COALESCE(r.retained, 0) AS FLOAT64) / g.cohort_size
  END AS rate,
  DATE_DIFF(b.last_day, g.last_signup, DAY) >= 7 * g.week + 6 AS complete
FROM grid AS g
CROSS JOIN bounds AS b
LEFT JOIN retained AS r
  ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY
  g.cohort_month NULLS LAST,
  g.week NULLS LAST
