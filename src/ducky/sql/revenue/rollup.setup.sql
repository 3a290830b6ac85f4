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
