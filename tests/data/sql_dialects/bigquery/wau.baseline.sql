/* WAU, baseline: the straightforward query a seed solution writes (COUNT(DISTINCT user_id) */
/* grouped by DATE_TRUNC('week', timestamp)), with the canonical `complete` column computed by */
/* scalar subqueries. No pre-aggregation, no indexes. Same rows and columns as optimized.sql. */
SELECT
  CAST(DATETIME_TRUNC(`timestamp`, WEEK(MONDAY)) AS DATE) AS week_start,
  CAST(COUNT(DISTINCT user_id) AS INT64) AS active_users,
  (
    CAST(DATETIME_TRUNC(`timestamp`, WEEK(MONDAY)) AS DATE) >= (
      SELECT
        CAST(MIN(`timestamp`) AS DATE)
      FROM events
    )
    AND DATE_ADD(CAST(DATETIME_TRUNC(`timestamp`, WEEK(MONDAY)) AS DATE), INTERVAL 6 DAY) <= (
      SELECT
        CAST(MAX(`timestamp`) AS DATE)
      FROM events
    )
  ) AS complete
FROM events
WHERE
  (
    NULL IS NULL OR NULL
  )
GROUP BY
  DATETIME_TRUNC(`timestamp`, WEEK(MONDAY))
ORDER BY
  week_start NULLS LAST
