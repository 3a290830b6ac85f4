-- Weekly active users on SQLite (METRICS.md): ISO weeks start on Monday, so a day's week is
-- the Monday on or before it: six days back, then forward to the next Monday.
WITH bounds AS (
    SELECT DATE(MIN("timestamp")) AS first_day, DATE(MAX("timestamp")) AS last_day
    FROM events
),
weekly AS (
    SELECT DATE("timestamp", '-6 days', 'weekday 1') AS week_start,
           COUNT(DISTINCT user_id) AS active_users
    FROM events
    WHERE (:event_type IS NULL OR event_type = :event_type)
    GROUP BY 1
)
SELECT
    w.week_start AS "week_start [date]",
    w.active_users AS active_users,
    (w.week_start >= b.first_day
     AND JULIANDAY(b.last_day) - JULIANDAY(w.week_start) >= 6) AS "complete [bool]"
FROM weekly AS w
CROSS JOIN bounds AS b
ORDER BY w.week_start
