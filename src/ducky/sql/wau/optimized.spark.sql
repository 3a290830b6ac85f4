-- Spark override of wau/optimized.sql, in Spark SQL. Why: Spark has no BITSTRING_AGG, so it
-- keeps the earlier canonical shape (sqlglot's Spark rendering of it): users packed into 32-bit
-- blocks (user_id >> 5) with a bit per user (BIT_OR of 1 << (user_id & 31)); a week's distinct
-- users are the sum of the set bits. Exact for any BIGINT id, up to 32x fewer groups than pairs.
-- String ids (a shop's "u001"): the bit path needs integers, so a constant typeof() test
-- (folded at plan time) empties it and a COUNT(DISTINCT) branch answers instead; TRY_CAST is a
-- no-op on BIGINT ids and only lets the bit branch bind on strings.
WITH bounds AS (
  SELECT
    CAST(MIN(`timestamp`) AS DATE) AS first_day,
    CAST(MAX(`timestamp`) AS DATE) AS last_day
  FROM events
), user_blocks AS (
  SELECT
    CAST(DATE_TRUNC('WEEK', `timestamp`) AS DATE) AS week_start,
    SHIFTRIGHT(TRY_CAST(user_id AS BIGINT), 5) AS block,
    BIT_OR(SHIFTLEFT(CAST(1 AS BIGINT), CAST(TRY_CAST(user_id AS BIGINT) & 31 AS INT))) AS members
  FROM events
  WHERE
    TYPEOF(user_id) = 'bigint' AND (
      :event_type IS NULL OR event_type = :event_type
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
  UNION ALL
  SELECT
    CAST(DATE_TRUNC('WEEK', `timestamp`) AS DATE) AS week_start,
    COUNT(DISTINCT user_id) AS active_users
  FROM events
  WHERE
    TYPEOF(user_id) <> 'bigint' AND (
      :event_type IS NULL OR event_type = :event_type
    )
  GROUP BY
    1
)
SELECT
  w.week_start,
  CAST(w.active_users AS BIGINT) AS active_users,
  (
    w.week_start >= b.first_day AND DATEDIFF(DAY, w.week_start, b.last_day) >= 6
  ) AS complete
FROM weekly AS w
CROSS JOIN bounds AS b
ORDER BY
  w.week_start NULLS LAST
