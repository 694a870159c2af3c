-- An identity's external id (Kratos's external_id): the id another system knows the person by,
-- unique across identities when set (NULL for most, and NULLs never clash).
ALTER TABLE identities ADD COLUMN external_id TEXT NULL;
CREATE UNIQUE INDEX identities_external_id_idx ON identities (external_id);
