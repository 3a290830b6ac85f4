-- Baseline means no indexes: drop every index an optimized variant built (all are named
-- ducky_opt_*), so a baseline never profits from an earlier optimized run on the same server.
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT indexname FROM pg_indexes
             WHERE schemaname = current_schema() AND indexname LIKE 'ducky\_opt\_%'
    LOOP
        EXECUTE format('DROP INDEX %I', r.indexname);
    END LOOP;
END $$;
