-- Cohort on PostgreSQL: the rewrite (distinct active days before the join) does the work; the
-- only index is on "timestamp" for the MAX("timestamp") bound. Statistics are refreshed so the
-- planner sizes the hash aggregates right.
CREATE INDEX IF NOT EXISTS ducky_opt_events_timestamp ON events ("timestamp");
VACUUM (ANALYZE) events;
