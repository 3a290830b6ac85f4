/* New and active users per UTC calendar day: new = users whose signup_date is that day, */
/* active = distinct users with at least one event (any type) that day. Days with neither are */
/* absent. Parameters: :date_from, :date_to (half-open, NULL = unbounded). */
WITH new_users AS (
  SELECT
    signup_date AS day,
    COUNT(*) AS n
  FROM users
  GROUP BY
    signup_date
), active AS (
  SELECT
    CAST("timestamp" AS Nullable(DATE)) AS day,
    COUNT(DISTINCT user_id) AS n
  FROM events
  GROUP BY
    CAST("timestamp" AS Nullable(DATE))
)
SELECT
  COALESCE(a.day, u.day) AS day,
  CAST(COALESCE(u.n, 0) AS Nullable(Int64)) AS new_users,
  CAST(COALESCE(a.n, 0) AS Nullable(Int64)) AS active_users
FROM active AS a
FULL OUTER JOIN new_users AS u
  ON u.day = a.day
WHERE
  (
    NULL IS NULL OR COALESCE(a.day, u.day) >= CAST(NULL AS Nullable(DATE))
  )
  AND (
    NULL IS NULL OR COALESCE(a.day, u.day) < CAST(NULL AS Nullable(DATE))
  )
ORDER BY
  day
