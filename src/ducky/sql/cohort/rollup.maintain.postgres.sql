-- Cohort rollup maintenance on PostgreSQL: the WAU trigger's scheme (see
-- wau/rollup.maintain.postgres.sql) keyed by (user, week since signup), with the signup date
-- looked up in users through its primary key.
-- Events of a user who is not (yet) in users cannot be placed: the baseline would count them
-- once the user row arrives, so the trigger marks the rollup stale instead of guessing.
-- UPDATE/DELETE/TRUNCATE on events, and changes to users' signup dates, mark it stale too.
CREATE OR REPLACE FUNCTION ducky_rollup_cohort_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE rollup_user_signup_week IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (
        SELECT 1 FROM ducky_new_events AS e
        WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.user_id = e.user_id)
    ) THEN
        PERFORM ducky_rollup_set_stale('cohort', 'events of unknown users were inserted');
    END IF;
    WITH delta AS (
        SELECT
            CAST(DATE_TRUNC('month', u.signup_date) AS DATE) AS cohort_month,
            e.user_id,
            CAST((CAST(e."timestamp" AS DATE) - u.signup_date) / 7 AS INTEGER) AS week,
            BIT_OR(
                CASE e.event_type
                    WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
                    WHEN 'login' THEN 8 ELSE 16
                END
            ) AS bits
        FROM ducky_new_events AS e
        JOIN users AS u ON u.user_id = e.user_id
        WHERE CAST(e."timestamp" AS DATE) >= u.signup_date
          AND CAST(e."timestamp" AS DATE) - u.signup_date < 7 * 53
        GROUP BY 1, 2, 3
    ),
    changed AS (
        SELECT d.cohort_month, d.user_id, d.week, r.type_mask AS old_mask,
               COALESCE(r.type_mask, 0) | d.bits AS new_mask
        FROM delta AS d
        LEFT JOIN rollup_user_signup_week AS r ON r.user_id = d.user_id AND r.week = d.week
        WHERE r.type_mask IS NULL OR (r.type_mask | d.bits) <> r.type_mask
    ),
    upserted AS (
        INSERT INTO rollup_user_signup_week AS r (cohort_month, user_id, week, type_mask)
        SELECT cohort_month, user_id, week, new_mask FROM changed
        ON CONFLICT (user_id, week) DO UPDATE SET type_mask = EXCLUDED.type_mask
    ),
    moves AS (
        SELECT cohort_month, week, new_mask AS type_mask, 1 AS n FROM changed
        UNION ALL
        SELECT cohort_month, week, old_mask, -1 FROM changed WHERE old_mask IS NOT NULL
    )
    INSERT INTO rollup_cohort_week_mask AS m (cohort_month, week, type_mask, users)
    SELECT cohort_month, week, type_mask, SUM(n) FROM moves GROUP BY 1, 2, 3 HAVING SUM(n) <> 0
    ON CONFLICT (cohort_month, week, type_mask) DO UPDATE SET users = m.users + EXCLUDED.users;
    DELETE FROM rollup_cohort_week_mask WHERE users = 0;
    UPDATE rollup_event_bounds SET
        first_day = LEAST(first_day, (SELECT CAST(MIN("timestamp") AS DATE) FROM ducky_new_events)),
        last_day = GREATEST(last_day, (SELECT CAST(MAX("timestamp") AS DATE) FROM ducky_new_events));
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ducky_rollup_cohort_insert ON events;
CREATE TRIGGER ducky_rollup_cohort_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS ducky_new_events
    FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_cohort_on_insert();
DROP TRIGGER IF EXISTS ducky_rollup_cohort_stale ON events;
CREATE TRIGGER ducky_rollup_cohort_stale AFTER UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_mark_stale('cohort');
DROP TRIGGER IF EXISTS ducky_rollup_cohort_users ON users;
CREATE TRIGGER ducky_rollup_cohort_users AFTER UPDATE OF user_id, signup_date OR DELETE OR TRUNCATE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_mark_stale('cohort');
