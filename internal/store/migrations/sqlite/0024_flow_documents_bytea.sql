-- PostgreSQL's 0024 turns the flow documents' columns into bytea so that they can hold the
-- stored forms (sqlstore/flowdoc.go); SQLite's columns hold a BLOB or text in any row already,
-- so there is nothing to change. The migration exists so that every dialect has the same list.
SELECT 1;
