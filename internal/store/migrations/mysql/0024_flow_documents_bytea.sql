-- PostgreSQL's 0024 turns the flow documents' columns into bytea so that they can hold the
-- stored forms (sqlstore/flowdoc.go); MySQL keeps its flow documents as text, so there is
-- nothing to change. The migration exists so that every dialect has the same list.
SELECT 1;
