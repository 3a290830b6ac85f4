/* PostgreSQL override of wau/optimized.sql. Why: PostgreSQL has no BIT_COUNT(BIGINT), so the */
/* canonical user-bitmap rewrite does not run here, and it never parallelises COUNT(DISTINCT). */
/* Instead the weeks are cut in two halves; each half counts its distinct (week, user) pairs in */
/* one process, and the two run at the same time (Parallel Append under one Gather Merge). */
/* Per half: an index-only range scan of the (ducky_week, user_id) index of */
/* optimized.setup.postgres.sql, in (week, user) order, so the distinct pairs are a Group over */
/* adjacent rows and each week's count a GroupAggregate: no sort, no hash, no temp files. */
/* Why halves and not one parallel scan of the whole index (the previous shape): there each */
/* worker's pages mix all weeks, so every distinct pair (924k at 10M events) went through the */
/* leader's Gather Merge to drop the pairs that straddle two workers, a third busy process on two */
/* cores; here a week lies wholly in one half, so only the ~53 (week, count) rows leave them. */
/* Exact whatever the cut: every week is either < cut or >= cut. The cut only balances the work: */
/* the median week of a 0.3% block sample (events grow over time: cut at the middle of the date */
/* range, one half would hold 73% of the rows at 10M events; the sample's cut gives 49/51). */
/* REPEATABLE makes both halves draw the same blocks, read under the query's one snapshot, so */
/* both compute the same cut. A sample without rows (a table of a few hundred pages) gives a */
/* constant cut, and one half holds every week. */
/* ducky_week is the stored generated column `ducky load` adds (engines/postgres/types.py): the */
/* Monday of "timestamp"'s ISO week, never NULL since "timestamp" is NOT NULL. */
WITH bounds AS (
  SELECT
    CAST(MIN("timestamp") AS DATE) AS first_day,
    CAST(MAX("timestamp") AS DATE) AS last_day
  FROM events
), cut AS NOT MATERIALIZED (
  SELECT
    COALESCE(
      (
        SELECT
          PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY
            ducky_week)
        FROM events TABLESAMPLE SYSTEM (0.3) REPEATABLE (0)
      ),
      CAST('1970-01-05' AS DATE)
    ) AS week_start
), early AS (
  SELECT
    week_start,
    COUNT(*) AS active_users
  FROM (
    SELECT
      ducky_week AS week_start,
      user_id
    FROM events
    WHERE
      ducky_week < (
        SELECT
          week_start
        FROM cut
      ) AND NULL IS NULL
    GROUP BY
      1,
      2
  ) AS pairs
  GROUP BY
    week_start
), late AS (
  SELECT
    week_start,
    COUNT(*) AS active_users
  FROM (
    SELECT
      ducky_week AS week_start,
      user_id
    FROM events
    WHERE
      ducky_week >= (
        SELECT
          week_start
        FROM cut
      ) AND NULL IS NULL
    GROUP BY
      1,
      2
  ) AS pairs
  GROUP BY
    week_start
), of_one_type /* One event type: the rows are scattered over the index, and an index scan per half would */ /* visit the heap for each one to read event_type (2.8 s at 10M events); instead one parallel */ /* scan of the table, each worker's matching pairs sorted, merged and deduplicated (0.67 s). */ AS (
  SELECT
    week_start,
    COUNT(*) AS active_users
  FROM (
    SELECT
      ducky_week AS week_start,
      user_id
    FROM events
    WHERE
      event_type = NULL
    GROUP BY
      1,
      2
  ) AS pairs
  GROUP BY
    week_start
), weekly /* :event_type is a literal here, so the planner folds each branch's condition to a constant and */ /* drops the branches that cannot return rows: NULL runs early + late, a type runs of_one_type. */ AS (
  SELECT
    week_start,
    active_users
  FROM early
  UNION ALL
  SELECT
    week_start,
    active_users
  FROM late
  UNION ALL
  SELECT
    week_start,
    active_users
  FROM of_one_type
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
