-- The per-identity cap on settings flows reads an identity's flows of one kind newest first
-- (updated_at, expires_at, id) at every creation: this index answers that read without
-- touching the flow rows, and serves every lookup by identity_id the old index served.
CREATE INDEX flows_identity_kind_written_idx ON flows (identity_id, kind, updated_at, expires_at, id);
DROP INDEX flows_identity_id_idx;
