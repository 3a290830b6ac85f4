-- Cohort retention, baseline: the straightforward correct query. Every event is joined to its
-- user and COUNT(DISTINCT user_id) runs per (cohort, week) over the raw events, without first
-- reducing events to distinct active days. Same rows and columns as optimized.sql.
WITH per_event AS (
    SELECT
        CAST(DATE_TRUNC('month', u.signup_date) AS DATE) AS cohort_month,
        e.user_id,
        CAST(FLOOR(DATE_DIFF('day', u.signup_date, CAST(e."timestamp" AS DATE)) / 7) AS INTEGER)
            AS week
    FROM events AS e
    JOIN users AS u ON u.user_id = e.user_id
    WHERE CAST(e."timestamp" AS DATE) >= u.signup_date
      AND (:event_type IS NULL OR e.event_type = :event_type)
),
retained AS (
    SELECT cohort_month, week, COUNT(DISTINCT user_id) AS retained
    FROM per_event
    WHERE week <= :weeks
    GROUP BY cohort_month, week
),
cohorts AS (
    SELECT
        CAST(DATE_TRUNC('month', signup_date) AS DATE) AS cohort_month,
        COUNT(*) AS cohort_size,
        MAX(signup_date) AS last_signup
    FROM users
    GROUP BY 1
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
        WHEN DATE_DIFF('day', g.last_signup, (SELECT CAST(MAX("timestamp") AS DATE) FROM events))
            >= 7 * g.week + 6
        THEN CAST(COALESCE(r.retained, 0) AS DOUBLE) / g.cohort_size
    END AS rate,
    DATE_DIFF('day', g.last_signup, (SELECT CAST(MAX("timestamp") AS DATE) FROM events))
        >= 7 * g.week + 6 AS complete
FROM grid AS g
LEFT JOIN retained AS r ON r.cohort_month = g.cohort_month AND r.week = g.week
ORDER BY g.cohort_month, g.week
