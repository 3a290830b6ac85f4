-- Cohort retention on SQLite (METRICS.md): week = floor((date(t) - signup_date) / 7) with day
-- differences from JULIANDAY; the week grid is a recursive CTE (no GENERATE_SERIES here).
WITH RECURSIVE bounds AS (
    SELECT DATE(MAX("timestamp")) AS last_day FROM events
),
cohort_users AS (
    SELECT user_id, signup_date, STRFTIME('%Y-%m-01', signup_date) AS cohort_month
    FROM users
),
cohorts AS (
    SELECT cohort_month, COUNT(*) AS cohort_size, MAX(signup_date) AS last_signup
    FROM cohort_users
    GROUP BY cohort_month
),
active_days AS (
    SELECT DISTINCT user_id, DATE("timestamp") AS day
    FROM events
    WHERE (:event_type IS NULL OR event_type = :event_type)
),
activity AS (
    SELECT DISTINCT
        u.cohort_month,
        u.user_id,
        CAST((JULIANDAY(a.day) - JULIANDAY(u.signup_date)) / 7 AS INTEGER) AS week
    FROM active_days AS a
    JOIN cohort_users AS u ON u.user_id = a.user_id
    WHERE a.day >= u.signup_date
      AND JULIANDAY(a.day) - JULIANDAY(u.signup_date) < 7 * (:weeks + 1)
),
retained AS (
    SELECT cohort_month, week, COUNT(*) AS retained
    FROM activity
    GROUP BY cohort_month, week
),
weeks AS (
    SELECT 0 AS week
    UNION ALL
    SELECT week + 1 FROM weeks WHERE week < :weeks
),
grid AS (
    SELECT c.cohort_month, c.cohort_size, c.last_signup, w.week
    FROM cohorts AS c
    CROSS JOIN weeks AS w
)
SELECT
    g.cohort_month AS "cohort_month [date]",
    g.cohort_size AS cohort_size,
    g.week AS week,
    COALESCE(r.retained, 0) AS retained,
    CASE
        WHEN JULIANDAY(b.last_day) - JULIANDAY(g.last_signup) >= 7 * g.week + 6
        THEN CAST(COALESCE(r.retained, 0) AS REAL) / g.cohort_size
    END AS rate,
    (JULIANDAY(b.last_day) - JULIANDAY(g.last_signup) >= 7 * g.week + 6) AS "complete [bool]"
FROM grid AS g
CROSS JOIN bounds AS b
LEFT JOIN retained AS r ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY g.cohort_month, g.week
