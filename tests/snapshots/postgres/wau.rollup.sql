/* WAU from the rollup (rollup.setup.sql): users per (week, event-type mask) are summed over the */
/* masks that contain the requested type (all masks for any type). Exact, because each user has */
/* one mask per week; the query reads at most weeks x 15 rows instead of every event. */
WITH bounds AS (
  SELECT
    first_day,
    last_day
  FROM rollup_event_bounds
)
SELECT
  r.week_start,
  CAST(SUM(r.users) AS BIGINT) AS active_users,
  (
    r.week_start >= b.first_day
    AND (
      CAST(b.last_day AS DATE) - CAST(r.week_start AS DATE)
    ) >= 6
  ) AS complete
FROM rollup_week_mask AS r
CROSS JOIN bounds AS b
WHERE
  (
    NULL IS NULL
    OR (
      r.type_mask & CASE NULL
        WHEN 'viewed'
        THEN 1
        WHEN 'add-to-cart'
        THEN 2
        WHEN 'purchased'
        THEN 4
        WHEN 'login'
        THEN 8
        ELSE 16
      END
    ) <> 0
  )
GROUP BY
  r.week_start,
  b.first_day,
  b.last_day
ORDER BY
  r.week_start
