-- Revenue on PostgreSQL: a partial covering index over purchases only. The query reads
-- 'purchased' events (a few % of all events); the index holds exactly those rows with every
-- column the query needs, so the plan is an index-only scan of a small index instead of a
-- sequential scan of the whole events table. The order columns are NULL on data without
-- orders, which costs an index tuple only its null bitmap.
CREATE INDEX IF NOT EXISTS ducky_opt_events_purchases_orders
    ON events (product_id) INCLUDE (user_id, "timestamp", order_id, quantity, amount, currency)
    WHERE event_type = 'purchased';
VACUUM (ANALYZE) events;
