-- flows and sessions churn: rows are written, updated and deleted all day (a flow per visit, a
-- session per sign-in, cleanup deleting the expired ones in batches). PostgreSQL's default
-- autovacuum waits for 20% of a table to be dead rows: at 10M sessions, 2M dead rows before a
-- vacuum, and the statistics the planner reads are refreshed as rarely. 2% starts both at
-- 200,000 on that table and stays cheap on a small one (the 50-row threshold still applies).
-- Only the vacuum's trigger moves; its cost budget is the server's.
ALTER TABLE flows SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE sessions SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
