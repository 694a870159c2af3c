-- An identity's tombstone: set when the identity is deleted, in the one short transaction that
-- makes it gone for every reader (every read of identities requires deleted_at IS NULL) and
-- removes its credentials, identifiers and addresses; its sessions and the row itself follow
-- in paced batches, or in the cleanup if the deletion was interrupted. The partial index holds
-- only tombstones, so the cleanup finds them without a scan and live rows pay nothing.
ALTER TABLE identities ADD COLUMN deleted_at TIMESTAMPTZ NULL;
CREATE INDEX identities_deleted_at_idx ON identities (deleted_at) WHERE deleted_at IS NOT NULL;
