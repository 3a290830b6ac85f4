-- ClickHouse (chdb engine) override of cohort/rollup.sql: the mask test as bitAnd() (sqlglot
-- writes `&`, which ClickHouse does not parse) and the week grid as ARRAY JOIN range(...).
WITH retained AS (
    SELECT cohort_month, week, SUM(users) AS retained
    FROM rollup_cohort_week_mask
    WHERE week <= :weeks
      AND (
        :event_type IS NULL
        OR bitAnd(type_mask, CASE :event_type
                WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
                WHEN 'login' THEN 8 ELSE 16
            END) <> 0
      )
    GROUP BY cohort_month, week
),
cohorts AS (
    SELECT
        toStartOfMonth(signup_date) AS cohort_month,
        COUNT(*) AS cohort_size,
        MAX(signup_date) AS last_signup
    FROM users
    GROUP BY cohort_month
),
grid AS (
    SELECT cohort_month, cohort_size, last_signup, CAST(week AS Int32) AS week
    FROM cohorts
    ARRAY JOIN range(0, :weeks + 1) AS week
)
SELECT
    g.cohort_month AS cohort_month,
    CAST(g.cohort_size AS Int64) AS cohort_size,
    g.week AS week,
    CAST(COALESCE(r.retained, 0) AS Int64) AS retained,
    CASE
        WHEN dateDiff('day', g.last_signup, b.last_day) >= 7 * g.week + 6
        THEN CAST(COALESCE(r.retained, 0) AS Float64) / g.cohort_size
    END AS rate,
    dateDiff('day', g.last_signup, b.last_day) >= 7 * g.week + 6 AS complete
FROM grid AS g
CROSS JOIN rollup_event_bounds AS b
LEFT JOIN retained AS r ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY g.cohort_month, g.week
