/* Weekly active users (METRICS.md): distinct users with at least one event in each ISO week */
/* (Monday 00:00 UTC). `complete` says the whole week lies inside the dataset's date range. */
/* Parameters: :event_type (NULL = any event type). */
/* Why this shape (measured with benchmarks/peers.py, docs/BENCHMARKS.md): */
/* 1. Distinct users as bits. COUNT(DISTINCT user_id) per week hashes every distinct (week, */
/*    user) pair (~20M at 100M events). Here users go in blocks of 256 ids (user_id >> 8), one */
/*    256-bit BITSTRING per (week, block) (BITSTRING_AGG of user_id & 255 with the constant */
/*    bounds 0..255), and a week's users are the sum of BIT_COUNT over its blocks: exact, 256x */
/*    fewer groups than pairs on dense ids. The bounds are constants, so no Parquet statistics */
/*    are needed; sparse ids only mean more (32-byte) groups, never a wrong count. */
/* 2. The week as an integer. DATE_TRUNC('week') per event, cast to DATE, cost more than the */
/*    aggregation itself; the week number (epoch microseconds + 3 days, since 1970-01-01 was a */
/*    Thursday, floor-divided by a week) is integer arithmetic, and the Monday date is made once */
/*    per result row. The shift by 100,000 weeks keeps the dividend positive for any timestamp */
/*    after the year 53, so `//` (which truncates toward zero) is a floor division. */
/* 3. String ids. The bit path needs integers: when user_id is not an integer column, the */
/*    constant typeof() test turns that branch into an empty result at plan time (TRY_CAST only */
/*    lets it bind) and the COUNT(DISTINCT) branch answers instead, and vice versa. */
/* baseline.sql keeps the straightforward COUNT(DISTINCT) shape; optimized.postgres.sql, */
/* optimized.spark.sql and optimized.clickhouse.sql are the other engines' versions. */
WITH bounds AS (
  SELECT
    CAST(MIN("timestamp") AS DATE) AS first_day,
    CAST(MAX("timestamp") AS DATE) AS last_day
  FROM events
), picked AS (
  SELECT
    (
      EPOCH_US("timestamp") + 259200000000 + 100000 * 604800000000
    ) // 604800000000 AS week_no,
    user_id
  FROM events
  WHERE
    (
      NULL IS NULL OR event_type = NULL
    )
), int_blocks AS (
  SELECT
    week_no,
    TRY_CAST(user_id AS BIGINT) >> 8 AS block,
    BITSTRING_AGG(TRY_CAST(user_id AS BIGINT) & 255, 0, 255) AS members
  FROM picked
  WHERE
    TYPEOF(user_id) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT')
  GROUP BY
    1,
    2
), weekly AS (
  SELECT
    week_no,
    COALESCE(SUM(BIT_COUNT(members)), 0) AS active_users /* 0: only NULL users */
  FROM int_blocks
  GROUP BY
    week_no
  UNION ALL
  SELECT
    week_no,
    COUNT(DISTINCT user_id) AS active_users
  FROM picked
  WHERE
    NOT TYPEOF(user_id) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT')
  GROUP BY
    week_no
), dated AS (
  SELECT
    CAST(CAST('1969-12-29' AS DATE) + TO_DAYS(CAST(7 * (
      week_no - 100000
    ) AS INT)) AS DATE) AS week_start,
    active_users
  FROM weekly
)
SELECT
  w.week_start,
  CAST(w.active_users AS BIGINT) AS active_users,
  (
    w.week_start >= b.first_day AND DATE_DIFF('DAY', w.week_start, b.last_day) >= 6
  ) AS complete
FROM dated AS w
CROSS JOIN bounds AS b
ORDER BY
  w.week_start
