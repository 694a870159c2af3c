-- An identity's tombstone: set when the identity is deleted, in the one short transaction that
-- makes it gone for every reader (every read of identities requires deleted_at IS NULL) and
-- removes its credentials, identifiers and addresses; its sessions and the row itself follow
-- in paced batches, or in the cleanup if the deletion was interrupted. MySQL has no partial
-- indexes: the index holds every row (NULL for live ones) so that the cleanup finds the
-- tombstones by a range on it.
ALTER TABLE identities ADD COLUMN deleted_at DATETIME(6) NULL;
CREATE INDEX identities_deleted_at_idx ON identities (deleted_at);
