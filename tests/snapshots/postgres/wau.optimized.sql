/* PostgreSQL override of wau/optimized.sql. Why: PostgreSQL has no BIT_COUNT(BIGINT), so the */
/* canonical user-bitmap rewrite does not run here. Instead: distinct (week, user) pairs first, */
/* then COUNT(*) per week. PostgreSQL never parallelises COUNT(DISTINCT), but it does parallelise */
/* this shape: with the (ducky_week, user_id) index of optimized.setup.postgres.sql each of two */
/* workers walks part of the index in (week, user) order and drops duplicates (Parallel Index */
/* Only Scan -> Group), Gather Merge keeps the order, and the leader drops the duplicates that */
/* straddle two workers' parts before counting. Measured at 10M events: 1.07 s vs 1.75 s for */
/* COUNT(DISTINCT) over the same index (docs/OPTIMIZATION.md); with the narrow index below */
/* the walk reads 4x fewer pages. */
/* ducky_week is the stored generated column of optimized.setup.postgres.sql (the Monday of */
/* "timestamp"'s ISO week); the (ducky_week, user_id) index covers this whole GROUP BY. */
WITH bounds AS (
  SELECT
    CAST(MIN("timestamp") AS DATE) AS first_day,
    CAST(MAX("timestamp") AS DATE) AS last_day
  FROM events
), pairs AS (
  SELECT
    ducky_week AS week_start,
    user_id
  FROM events
  WHERE
    (
      NULL IS NULL OR event_type = NULL
    )
  GROUP BY
    1,
    2
), weekly AS (
  SELECT
    week_start,
    COUNT(*) AS active_users
  FROM pairs
  GROUP BY
    week_start
)
SELECT
  w.week_start,
  CAST(w.active_users AS BIGINT) AS active_users,
  (
    w.week_start >= b.first_day AND (
      b.last_day - w.week_start
    ) >= 6
  ) AS complete
FROM weekly AS w
CROSS JOIN bounds AS b
ORDER BY
  w.week_start
