-- WAU rollup maintenance on PostgreSQL: a statement-level AFTER INSERT trigger whose transition
-- table holds every row the statement inserted (INSERT ... VALUES, INSERT ... SELECT and COPY
-- alike), so a 100k-row batch costs one set-based upsert, not 100k row triggers.
-- For each (week, user) the batch touches: new mask = old mask | the batch's bits. Users whose
-- mask changed move in rollup_week_mask from (week, old mask) to (week, new mask): -1 and +1,
-- summed per (week, mask) and upserted. Masks only grow under inserts, so a week never loses a
-- user; emptied (week, mask) rows are deleted to keep the table minimal.
-- Concurrency: the LOCK makes concurrent inserting transactions maintain the rollup one after
-- the other (each sees the previous one's committed masks); readers are not blocked.
-- UPDATE, DELETE and TRUNCATE are not maintained: they mark the rollup stale (one statement-level
-- trigger) and `ducky query --variant rollup` then refuses it until `ducky rollup refresh`.
CREATE OR REPLACE FUNCTION ducky_rollup_wau_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE rollup_user_week IN SHARE ROW EXCLUSIVE MODE;
    WITH delta AS (
        SELECT
            CAST(DATE_TRUNC('week', "timestamp") AS DATE) AS week_start,
            user_id,
            BIT_OR(
                CASE event_type
                    WHEN 'viewed' THEN 1 WHEN 'add-to-cart' THEN 2 WHEN 'purchased' THEN 4
                    WHEN 'login' THEN 8 ELSE 16
                END
            ) AS bits
        FROM ducky_new_events
        GROUP BY 1, 2
    ),
    changed AS (
        SELECT d.week_start, d.user_id, r.type_mask AS old_mask,
               COALESCE(r.type_mask, 0) | d.bits AS new_mask
        FROM delta AS d
        LEFT JOIN rollup_user_week AS r
            ON r.week_start = d.week_start AND r.user_id = d.user_id
        WHERE r.type_mask IS NULL OR (r.type_mask | d.bits) <> r.type_mask
    ),
    upserted AS (
        INSERT INTO rollup_user_week AS r (week_start, user_id, type_mask)
        SELECT week_start, user_id, new_mask FROM changed
        ON CONFLICT (week_start, user_id) DO UPDATE SET type_mask = EXCLUDED.type_mask
    ),
    moves AS (
        SELECT week_start, new_mask AS type_mask, 1 AS n FROM changed
        UNION ALL
        SELECT week_start, old_mask, -1 FROM changed WHERE old_mask IS NOT NULL
    )
    INSERT INTO rollup_week_mask AS m (week_start, type_mask, users)
    SELECT week_start, type_mask, SUM(n) FROM moves GROUP BY 1, 2 HAVING SUM(n) <> 0
    ON CONFLICT (week_start, type_mask) DO UPDATE SET users = m.users + EXCLUDED.users;
    DELETE FROM rollup_week_mask WHERE users = 0;
    UPDATE rollup_event_bounds SET
        first_day = LEAST(first_day, (SELECT CAST(MIN("timestamp") AS DATE) FROM ducky_new_events)),
        last_day = GREATEST(last_day, (SELECT CAST(MAX("timestamp") AS DATE) FROM ducky_new_events));
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ducky_rollup_wau_insert ON events;
CREATE TRIGGER ducky_rollup_wau_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS ducky_new_events
    FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_wau_on_insert();
DROP TRIGGER IF EXISTS ducky_rollup_wau_stale ON events;
CREATE TRIGGER ducky_rollup_wau_stale AFTER UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_mark_stale('wau');
