-- PostgreSQL's 0019 makes autovacuum visit the churning tables (flows, sessions) at 2% of dead
-- rows instead of 20%; this database has no such setting, so there is nothing to change. The
-- migration exists so that every dialect has the same list.
SELECT 1;
