-- Cohort rollup on PostgreSQL: the same two levels as rollup.setup.sql, built as keyed tables
-- so rollup.maintain.postgres.sql can upsert into them when events are INSERTed.
-- 1. rollup_user_signup_week: one row per (user, week since the user's own signup), weeks
--    0..52 (the most `ducky cohort --weeks` allows), with the event-type bit mask (viewed=1,
--    add-to-cart=2, purchased=4, login=8). Events before signup are dropped, as the metric says.
-- 2. rollup_cohort_week_mask: users per (cohort, week, mask); one mask per user and week makes
--    `retained` an exact SUM for any event type. Cohort sizes are read from users at query time.
DROP TABLE IF EXISTS rollup_cohort_week_mask;
DROP TABLE IF EXISTS rollup_user_signup_week;
CREATE TABLE rollup_user_signup_week AS
SELECT
    CAST(DATE_TRUNC('month', u.signup_date) AS DATE) AS cohort_month,
    e.user_id,
    CAST((CAST(e."timestamp" AS DATE) - u.signup_date) / 7 AS INTEGER) AS week,
    CAST(BIT_OR(
        CASE e.event_type
            WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
            WHEN 'login' THEN 8 ELSE 16
        END
    ) AS INTEGER) AS type_mask
FROM events AS e
JOIN users AS u ON u.user_id = e.user_id
WHERE CAST(e."timestamp" AS DATE) >= u.signup_date
  AND CAST(e."timestamp" AS DATE) - u.signup_date < 7 * 53
GROUP BY 1, 2, 3;
-- (user, week) is the key: the cohort is a function of the user.
ALTER TABLE rollup_user_signup_week ADD PRIMARY KEY (user_id, week);
CREATE TABLE rollup_cohort_week_mask AS
SELECT cohort_month, week, type_mask, CAST(COUNT(*) AS BIGINT) AS users
FROM rollup_user_signup_week
GROUP BY 1, 2, 3;
ALTER TABLE rollup_cohort_week_mask ADD PRIMARY KEY (cohort_month, week, type_mask);
-- Shared with the WAU rollup (see wau/rollup.setup.postgres.sql).
DROP TABLE IF EXISTS rollup_event_bounds;
CREATE TABLE rollup_event_bounds AS
SELECT CAST(MIN("timestamp") AS DATE) AS first_day, CAST(MAX("timestamp") AS DATE) AS last_day
FROM events;
ANALYZE rollup_user_signup_week, rollup_cohort_week_mask, rollup_event_bounds;
