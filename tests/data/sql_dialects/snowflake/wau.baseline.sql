/* WAU, baseline: the straightforward query a seed solution writes (COUNT(DISTINCT user_id) */
/* grouped by DATE_TRUNC('week', timestamp)), with the canonical `complete` column computed by */
/* scalar subqueries. No pre-aggregation, no indexes. Same rows and columns as optimized.sql. */
SELECT
  CAST(DATE_TRUNC('WEEK', "timestamp") AS DATE) AS week_start,
  CAST(COUNT(DISTINCT user_id) AS BIGINT) AS active_users,
  (
    CAST(DATE_TRUNC('WEEK', "timestamp") AS DATE) >= (
      SELECT
        CAST(MIN("timestamp") AS DATE)
      FROM events
    )
    AND CAST(DATE_TRUNC('WEEK', "timestamp") AS DATE) + 6 <= (
      SELECT
        CAST(MAX("timestamp") AS DATE)
      FROM events
    )
  ) AS complete
FROM events
WHERE
  (
    NULL IS NULL OR event_type = NULL
  )
GROUP BY
  DATE_TRUNC('WEEK', "timestamp")
ORDER BY
  week_start
