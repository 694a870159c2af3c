-- PostgreSQL's 0011 keeps parallel plans away from the tables Portico reads by key; this
-- database has no parallel query planner, so there is nothing to change. The migration exists so
-- that every dialect has the same list.
SELECT 1;
