/* WAU, baseline: the straightforward query a seed solution writes (COUNT(DISTINCT user_id) */
/* grouped by DATE_TRUNC('week', timestamp)), with the canonical `complete` column computed by */
/* scalar subqueries. No pre-aggregation, no indexes. Same rows and columns as optimized.sql. */
SELECT
  CAST(dateTrunc('WEEK', "timestamp") AS Nullable(DATE)) AS week_start,
  CAST(COUNT(DISTINCT user_id) AS Nullable(Int64)) AS active_users,
  (
    CAST(dateTrunc('WEEK', "timestamp") AS Nullable(DATE)) >= (
      SELECT
        CAST(MIN("timestamp") AS Nullable(DATE))
      FROM events
    )
    AND CAST(dateTrunc('WEEK', "timestamp") AS Nullable(DATE)) + 6 <= (
      SELECT
        CAST(MAX("timestamp") AS Nullable(DATE))
      FROM events
    )
  ) AS complete
FROM events
WHERE
  (
    NULL IS NULL OR event_type = NULL
  )
GROUP BY
  dateTrunc('WEEK', "timestamp")
ORDER BY
  week_start
