-- Revenue rollup maintenance on PostgreSQL: new purchases are summed per (day, category,
-- currency, buyer, order)
-- and added to the rollup (ON CONFLICT ... revenue + new revenue). Sums commute, so concurrent
-- inserters need no table lock: the row locks of the upsert are enough.
-- A purchase of a product that is not in products counts as category 'unknown' (as in the
-- baseline) but would move to the product's category once its row arrives: such an insert
-- marks the rollup stale. UPDATE/DELETE/TRUNCATE on events, and price/category changes in
-- products, mark it stale too.
CREATE OR REPLACE FUNCTION ducky_rollup_revenue_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM ducky_new_events AS e
        WHERE e.event_type = 'purchased' AND e.product_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM products AS p WHERE p.product_id = e.product_id)
    ) THEN
        PERFORM ducky_rollup_set_stale('revenue', 'purchases of unknown products were inserted');
    END IF;
    INSERT INTO rollup_category_day AS r
        (day, category, currency, user_id, order_id, revenue, purchases, orderless)
    SELECT
        CAST(e."timestamp" AS DATE), COALESCE(p.category, 'unknown'),
        COALESCE(e.currency, 'USD'), e.user_id, e.order_id,
        COALESCE(SUM(COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price)), 0), COUNT(*),
        CASE WHEN e.order_id IS NULL THEN COUNT(*) ELSE 0 END
    FROM ducky_new_events AS e
    LEFT JOIN products AS p ON p.product_id = e.product_id
    WHERE e.event_type = 'purchased'
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (day, category, currency, user_id, order_id) DO UPDATE SET
        revenue = r.revenue + EXCLUDED.revenue,
        purchases = r.purchases + EXCLUDED.purchases,
        orderless = r.orderless + EXCLUDED.orderless;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ducky_rollup_revenue_insert ON events;
CREATE TRIGGER ducky_rollup_revenue_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS ducky_new_events
    FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_revenue_on_insert();
DROP TRIGGER IF EXISTS ducky_rollup_revenue_stale ON events;
CREATE TRIGGER ducky_rollup_revenue_stale AFTER UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_mark_stale('revenue');
DROP TRIGGER IF EXISTS ducky_rollup_revenue_products ON products;
CREATE TRIGGER ducky_rollup_revenue_products
    AFTER UPDATE OF product_id, category, price OR DELETE OR TRUNCATE
    ON products FOR EACH STATEMENT EXECUTE FUNCTION ducky_rollup_mark_stale('revenue');
