-- PostgreSQL override of wau/optimized.sql. Why: PostgreSQL has no BIT_COUNT(BIGINT), so the
-- canonical user-bitmap rewrite does not run here; this is the COUNT(DISTINCT) shape, which the
-- expression index in optimized.setup.postgres.sql serves in (week, user_id) order (no sort).
-- The week expression must stay textually what the index is built on.
WITH bounds AS (
    SELECT
        CAST(MIN("timestamp") AS DATE) AS first_day,
        CAST(MAX("timestamp") AS DATE) AS last_day
    FROM events
),
weekly AS (
    SELECT
        CAST(DATE_TRUNC('WEEK', "timestamp") AS DATE) AS week_start,
        COUNT(DISTINCT user_id) AS active_users
    FROM events
    WHERE (:event_type IS NULL OR event_type = :event_type)
    GROUP BY 1
)
SELECT
    w.week_start,
    CAST(w.active_users AS BIGINT) AS active_users,
    (w.week_start >= b.first_day AND (b.last_day - w.week_start) >= 6) AS complete
FROM weekly AS w
CROSS JOIN bounds AS b
ORDER BY w.week_start
