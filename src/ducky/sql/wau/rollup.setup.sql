-- WAU rollup: a maintained pre-aggregate with one row per (ISO week, user) and a bit mask of the
-- event types the user had that week (viewed=1, add-to-cart=2, purchased=4, login=8), so the
-- event-type option needs no second table. Rebuilt here in full; in production it is refreshed
-- incrementally by deleting and re-inserting the weeks touched by new events.
DROP TABLE IF EXISTS rollup_user_week;
CREATE TABLE rollup_user_week AS
SELECT
    CAST(DATE_TRUNC('week', "timestamp") AS DATE) AS week_start,
    user_id,
    CAST(BIT_OR(
        CASE event_type
            WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
            WHEN 'login' THEN 8 ELSE 16
        END
    ) AS INTEGER) AS type_mask
FROM events
GROUP BY 1, 2;
DROP TABLE IF EXISTS rollup_event_bounds;
CREATE TABLE rollup_event_bounds AS
SELECT CAST(MIN("timestamp") AS DATE) AS first_day, CAST(MAX("timestamp") AS DATE) AS last_day
FROM events;
