-- A flow's private fields (sealed submissions, methods' internal state), kept apart from the
-- public document in data so that data can be served as stored.
ALTER TABLE flows ADD COLUMN private TEXT NULL;
