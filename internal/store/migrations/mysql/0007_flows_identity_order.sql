-- The per-identity cap on settings flows reads an identity's flows of one kind newest first
-- (updated_at, expires_at, id) at every creation: this index answers that read without
-- touching the flow rows. (The identity_id index stays: MySQL keeps it for the foreign key.)
CREATE INDEX flows_identity_kind_written_idx ON flows (identity_id, kind, updated_at, expires_at, id);
