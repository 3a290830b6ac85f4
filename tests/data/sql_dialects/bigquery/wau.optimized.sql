/* Weekly active users (METRICS.md): distinct users with at least one event in each ISO week */
/* (Monday 00:00 UTC). `complete` says the whole week lies inside the dataset's date range. */
/* Parameters: :event_type (NULL = any event type). */
/* Why the bitmap: COUNT(DISTINCT user_id) per week hashes every distinct (week, user) pair */
/* (~20M groups at 100M events). Packing users into 32-bit blocks (user_id >> 5) with a bit per */
/* user (BIT_OR of 1 << (user_id & 31)) gives up to 32x fewer groups, and the number of distinct */
/* users is then the sum of the set bits: exact for any BIGINT id. baseline.sql keeps the */
/* straightforward COUNT(DISTINCT) shape; optimized.postgres.sql keeps it where BIT_COUNT(BIGINT) */
/* does not exist. */
WITH bounds AS (
  SELECT
    CAST(MIN(`timestamp`) AS DATE) AS first_day,
    CAST(MAX(`timestamp`) AS DATE) AS last_day
  FROM events
), user_blocks AS (
  SELECT
    CAST(DATETIME_TRUNC(`timestamp`, WEEK(MONDAY)) AS DATE) AS week_start,
    user_id >> 5 AS block,
    BIT_OR(CAST(1 AS INT64) << CAST(user_id & 31 AS INT64)) AS members
  FROM events
  WHERE
    (
      NULL IS NULL OR NULL
    )
  GROUP BY
    1,
    2
), weekly AS (
  SELECT
    week_start,
    SUM(BIT_COUNT(members)) AS active_users
  FROM user_blocks
  GROUP BY
    week_start
)
SELECT
  w.week_start,
  CAST(w.active_users AS INT64) AS active_users,
  (
    w.week_start >= b.first_day AND DATE_DIFF(b.last_day, w.week_start, DAY) >= 6
  ) AS complete
FROM weekly AS w
CROSS JOIN bounds AS b
ORDER BY
  w.week_start NULLS LAST
