-- WAU from the user-week rollup (rollup.setup.sql): each row is already one distinct
-- (week, user), so active_users is a plain COUNT(*) over a table far smaller than events.
WITH bounds AS (
    SELECT first_day, last_day FROM rollup_event_bounds
)
SELECT
    r.week_start,
    CAST(COUNT(*) AS BIGINT) AS active_users,
    (r.week_start >= b.first_day AND DATE_DIFF('day', r.week_start, b.last_day) >= 6) AS complete
FROM rollup_user_week AS r
CROSS JOIN bounds AS b
WHERE (
    :event_type IS NULL
    OR (r.type_mask & CASE :event_type
            WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
            WHEN 'login' THEN 8 ELSE 16
        END) <> 0
)
GROUP BY r.week_start, b.first_day, b.last_day
ORDER BY r.week_start
