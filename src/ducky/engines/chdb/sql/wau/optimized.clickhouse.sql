-- ClickHouse (chdb engine) override of wau/optimized.sql. Why: sqlglot writes the bitmap's
-- `&`, `<<` as operators ClickHouse does not have (bitAnd/bitShiftLeft), and ClickHouse's own
-- exact distinct count, uniqExact (one hash set per week, merged across threads), is its fast
-- path, so the DuckDB bitmap trick buys nothing here. toMonday is the ISO (Monday) week start
-- that METRICS.md asks for (toStartOfWeek's default mode starts weeks on Sunday).
WITH bounds AS (
    SELECT toDate(MIN("timestamp")) AS first_day, toDate(MAX("timestamp")) AS last_day
    FROM events
),
weekly AS (
    SELECT toMonday("timestamp") AS week_start, uniqExact(user_id) AS active_users
    FROM events
    WHERE (:event_type IS NULL OR event_type = :event_type)
    GROUP BY week_start
)
SELECT
    w.week_start,
    CAST(w.active_users AS Int64) AS active_users,
    (w.week_start >= b.first_day AND dateDiff('day', w.week_start, b.last_day) >= 6) AS complete
FROM weekly AS w
CROSS JOIN bounds AS b
ORDER BY w.week_start
