-- Revenue rollup: purchases pre-aggregated per (UTC day, category, buyer). Days are enough
-- because the [from, to) range is whole dates; keeping the buyer keeps `buyers` exact (distinct
-- counts cannot be summed across days).
DROP TABLE IF EXISTS rollup_category_day;
CREATE TABLE rollup_category_day AS
SELECT
    CAST(e."timestamp" AS DATE) AS day,
    p.category,
    e.user_id,
    CAST(SUM(p.price) AS DECIMAL(18, 2)) AS revenue,
    CAST(COUNT(*) AS BIGINT) AS purchases
FROM events AS e
JOIN products AS p ON p.product_id = e.product_id
WHERE e.event_type = 'purchased'
GROUP BY 1, 2, 3;
-- The same metric over all days, per category (19-ish rows): what `ducky query revenue` without
-- --from/--to asks. Exact, and it spares the query a distinct count over every (day, buyer)
-- row: 0.61 s -> milliseconds at 100M events.
DROP TABLE IF EXISTS rollup_category_totals;
CREATE TABLE rollup_category_totals AS
SELECT
    category,
    CAST(SUM(revenue) AS DECIMAL(18, 2)) AS revenue,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    CAST(COUNT(DISTINCT user_id) AS BIGINT) AS buyers
FROM rollup_category_day
GROUP BY category;
