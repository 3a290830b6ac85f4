-- ClickHouse (chdb engine) override of wau/rollup.sql: the same query with the mask test as
-- bitAnd() (sqlglot writes `&`, which ClickHouse does not parse).
WITH bounds AS (
    SELECT first_day, last_day FROM rollup_event_bounds
)
SELECT
    r.week_start,
    CAST(SUM(r.users) AS Int64) AS active_users,
    (r.week_start >= b.first_day AND dateDiff('day', r.week_start, b.last_day) >= 6) AS complete
FROM rollup_week_mask AS r
CROSS JOIN bounds AS b
WHERE (
    :event_type IS NULL
    OR bitAnd(r.type_mask, CASE :event_type
            WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
            WHEN 'login' THEN 8 ELSE 16
        END) <> 0
)
GROUP BY r.week_start, b.first_day, b.last_day
ORDER BY r.week_start
