-- WAU rollup on PostgreSQL: the same two levels as rollup.setup.sql (which DuckDB and Spark
-- run), built as keyed tables so rollup.maintain.postgres.sql can upsert into them when events
-- are INSERTed. `ducky rollup build wau -e postgres` (and the bench) run this file, then the
-- maintain file, then record the build in ducky_rollup_state.
-- 1. rollup_user_week: one row per (ISO week, user) with the bit mask of the event types the
--    user had that week (viewed=1, add-to-cart=2, purchased=4, login=8).
-- 2. rollup_week_mask: users per (week, mask). A user has exactly one mask per week, so WAU for
--    any event type is an exact SUM over the masks containing its bit (<= weeks x 15 rows).
DROP TABLE IF EXISTS rollup_week_mask;
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
-- The key is built after the data (one sort instead of 900k index insertions); the insert
-- trigger's upsert needs it (ON CONFLICT) and finds a (week, user) row through it.
ALTER TABLE rollup_user_week ADD PRIMARY KEY (week_start, user_id);
CREATE TABLE rollup_week_mask AS
SELECT week_start, type_mask, CAST(COUNT(*) AS BIGINT) AS users
FROM rollup_user_week
GROUP BY 1, 2;
ALTER TABLE rollup_week_mask ADD PRIMARY KEY (week_start, type_mask);
-- Shared with the cohort rollup: always one row (MIN/MAX of no rows is one row of NULLs), so the
-- triggers can widen it with LEAST/GREATEST, which ignore NULLs.
DROP TABLE IF EXISTS rollup_event_bounds;
CREATE TABLE rollup_event_bounds AS
SELECT CAST(MIN("timestamp") AS DATE) AS first_day, CAST(MAX("timestamp") AS DATE) AS last_day
FROM events;
ANALYZE rollup_user_week, rollup_week_mask, rollup_event_bounds;
