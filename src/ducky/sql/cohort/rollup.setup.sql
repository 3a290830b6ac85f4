-- Cohort rollup, two levels:
-- 1. rollup_user_signup_week: one row per (user, week since the user's own signup) for weeks
--    0..52 (the most `ducky cohort --weeks` allows), with the event-type bit mask (viewed=1,
--    add-to-cart=2, purchased=4, login=8). Events before signup are dropped, as the metric
--    requires. The maintainable base: new events touch only their users' rows.
-- 2. rollup_cohort_week_mask: users per (cohort, week, mask); one mask per user and week makes
--    `retained` an exact SUM for any event type.
DROP TABLE IF EXISTS rollup_user_signup_week;
CREATE TABLE rollup_user_signup_week AS
SELECT
    CAST(DATE_TRUNC('month', u.signup_date) AS DATE) AS cohort_month,
    e.user_id,
    CAST(FLOOR(DATE_DIFF('day', u.signup_date, CAST(e."timestamp" AS DATE)) / 7) AS INTEGER)
        AS week,
    CAST(BIT_OR(
        CASE e.event_type
            WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
            WHEN 'login' THEN 8 ELSE 16
        END
    ) AS INTEGER) AS type_mask
FROM events AS e
JOIN users AS u ON u.user_id = e.user_id
WHERE CAST(e."timestamp" AS DATE) >= u.signup_date
  AND DATE_DIFF('day', u.signup_date, CAST(e."timestamp" AS DATE)) < 7 * 53
GROUP BY 1, 2, 3;
DROP TABLE IF EXISTS rollup_cohort_week_mask;
CREATE TABLE rollup_cohort_week_mask AS
SELECT cohort_month, week, type_mask, CAST(COUNT(*) AS BIGINT) AS users
FROM rollup_user_signup_week
GROUP BY 1, 2, 3;
-- 3. rollup_cohort_sizes: each signup month's size and last signup date, the one thing the
--    answer needs of `users`; DuckDB's answer (rollup.duckdb.sql) reads it instead of grouping
--    every user (2M at 100M events, ~25 ms of a ~0.2 s answer). Other engines' answers
--    (rollup.sql) still group `users` themselves.
DROP TABLE IF EXISTS rollup_cohort_sizes;
CREATE TABLE rollup_cohort_sizes AS
SELECT
    CAST(DATE_TRUNC('month', signup_date) AS DATE) AS cohort_month,
    COUNT(*) AS cohort_size,
    MAX(signup_date) AS last_signup
FROM users
GROUP BY 1;
DROP TABLE IF EXISTS rollup_event_bounds;
CREATE TABLE rollup_event_bounds AS
SELECT CAST(MIN("timestamp") AS DATE) AS first_day, CAST(MAX("timestamp") AS DATE) AS last_day
FROM events;
