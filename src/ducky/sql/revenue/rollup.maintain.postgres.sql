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
    -- The per-(category, currency) totals (rollup.setup.postgres.sql): sums add; a buyer or an
    -- order adds 1 only when its key is new to rollup_category_buyers / _orders (the rows
    -- ON CONFLICT DO NOTHING lets through and RETURNING hands back).
    WITH d AS (
        SELECT
            COALESCE(p.category, 'unknown') AS category, COALESCE(e.currency, 'USD') AS currency,
            e.user_id, e.order_id,
            COALESCE(e.amount, COALESCE(e.quantity, 1) * p.price) AS amount
        FROM ducky_new_events AS e
        LEFT JOIN products AS p ON p.product_id = e.product_id
        WHERE e.event_type = 'purchased'
    ),
    new_buyers AS (
        INSERT INTO rollup_category_buyers (category, currency, user_id)
        SELECT DISTINCT category, currency, user_id FROM d
        ON CONFLICT DO NOTHING
        RETURNING category, currency
    ),
    new_orders AS (
        INSERT INTO rollup_category_orders (category, currency, order_id)
        SELECT DISTINCT category, currency, order_id FROM d WHERE order_id IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING category, currency
    ),
    sums AS (
        SELECT
            category, currency, COALESCE(SUM(amount), 0) AS revenue, COUNT(*) AS purchases,
            COUNT(*) FILTER (WHERE order_id IS NULL) AS orderless
        FROM d
        GROUP BY 1, 2
    ),
    nb AS (SELECT category, currency, COUNT(*) AS n FROM new_buyers GROUP BY 1, 2),
    n_o AS (SELECT category, currency, COUNT(*) AS n FROM new_orders GROUP BY 1, 2)
    INSERT INTO rollup_category_totals AS t (category, currency, revenue, purchases, orders, buyers)
    SELECT
        s.category, s.currency, s.revenue, s.purchases, s.orderless + COALESCE(n_o.n, 0),
        COALESCE(nb.n, 0)
    FROM sums AS s
    LEFT JOIN nb ON nb.category = s.category AND nb.currency = s.currency
    LEFT JOIN n_o ON n_o.category = s.category AND n_o.currency = s.currency
    ON CONFLICT (category, currency) DO UPDATE SET
        revenue = t.revenue + EXCLUDED.revenue,
        purchases = t.purchases + EXCLUDED.purchases,
        orders = t.orders + EXCLUDED.orders,
        buyers = t.buyers + EXCLUDED.buyers;
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
