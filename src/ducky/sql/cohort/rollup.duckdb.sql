-- DuckDB's cohort answer from the rollup: rollup.sql, with the cohorts (size, last signup) read
-- from rollup_cohort_sizes (built by rollup.setup.sql) instead of grouping every user.
-- Cohort retention from the rollup (rollup.setup.sql): `retained` sums users per (cohort, week,
-- event-type mask) over the masks containing the requested type (all masks for any type).
WITH retained AS (
    SELECT cohort_month, week, SUM(users) AS retained
    FROM rollup_cohort_week_mask
    WHERE week <= :weeks
      AND (
        :event_type IS NULL
        OR (type_mask & CASE :event_type
                WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
                WHEN 'login' THEN 8 ELSE 16
            END) <> 0
      )
    GROUP BY cohort_month, week
),
cohorts AS (
    SELECT cohort_month, cohort_size, last_signup FROM rollup_cohort_sizes
),
grid AS (
    SELECT c.cohort_month, c.cohort_size, c.last_signup, w.week
    FROM cohorts AS c
    CROSS JOIN UNNEST(GENERATE_SERIES(0, :weeks)) AS w(week)
)
SELECT
    g.cohort_month,
    CAST(g.cohort_size AS BIGINT) AS cohort_size,
    g.week,
    CAST(COALESCE(r.retained, 0) AS BIGINT) AS retained,
    CASE
        WHEN DATE_DIFF('day', g.last_signup, b.last_day) >= 7 * g.week + 6
        THEN CAST(COALESCE(r.retained, 0) AS DOUBLE) / g.cohort_size
    END AS rate,
    DATE_DIFF('day', g.last_signup, b.last_day) >= 7 * g.week + 6 AS complete
FROM grid AS g
CROSS JOIN rollup_event_bounds AS b
LEFT JOIN retained AS r ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY g.cohort_month, g.week
