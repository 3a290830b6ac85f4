-- Cohort on PostgreSQL: the rewrite (distinct active days before the join) does the work; the
-- only index is on "timestamp" for the MAX("timestamp") bound. Statistics are refreshed so the
-- planner sizes the hash aggregates right.
CREATE INDEX IF NOT EXISTS ducky_opt_events_timestamp ON events ("timestamp");
VACUUM (ANALYZE) events;
-- Parallel: the scan of events and the DISTINCT (user, day) hash aggregate run in two workers
-- (Partial HashAggregate per worker, Finalize after the Gather). Left alone the planner keeps
-- the plan serial: it charges each of the ~millions of (user, day) rows leaving a worker at
-- parallel_tuple_cost 0.1, priced here as the shared-memory queue it is on one machine, and
-- work_mem gives the hash aggregates room so they do not spill. Measured at 10M events on the
-- shared 2-core machine: 5.9-7.3 s vs 7.8-8.7 s serial (docs/OPTIMIZATION.md). A rewrite that
-- joins events to users before the DISTINCT (one aggregate instead of two) was slower
-- (8.9-11.7 s): the join then runs on all 10M events instead of the distinct (user, day) rows.
SET max_parallel_workers_per_gather = 2;
SET parallel_tuple_cost = 0.01;
SET work_mem = '256MB';
