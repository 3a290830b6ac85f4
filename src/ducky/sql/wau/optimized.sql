-- Weekly active users (METRICS.md): distinct users with at least one event in each ISO week
-- (Monday 00:00 UTC). `complete` says the whole week lies inside the dataset's date range.
-- Parameters: :event_type (NULL = any event type).
WITH bounds AS (
    SELECT
        CAST(MIN("timestamp") AS DATE) AS first_day,
        CAST(MAX("timestamp") AS DATE) AS last_day
    FROM events
),
weekly AS (
    SELECT
        CAST(DATE_TRUNC('week', "timestamp") AS DATE) AS week_start,
        COUNT(DISTINCT user_id) AS active_users
    FROM events
    WHERE (:event_type IS NULL OR event_type = :event_type)
    GROUP BY 1
)
SELECT
    w.week_start,
    CAST(w.active_users AS BIGINT) AS active_users,
    (w.week_start >= b.first_day AND DATE_DIFF('day', w.week_start, b.last_day) >= 6) AS complete
FROM weekly AS w
CROSS JOIN bounds AS b
ORDER BY w.week_start
