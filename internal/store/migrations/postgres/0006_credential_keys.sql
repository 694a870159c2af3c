-- The credential id of every WebAuthn and passkey key, once across all identities: WebAuthn
-- (section 7.1) has the relying party refuse a credential id that is already registered. The
-- id is kept in standard base64, the form the credential config's JSON holds it in.
CREATE TABLE identity_credential_keys (
    key_id        TEXT NOT NULL PRIMARY KEY,
    identity_id   UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    credential_id UUID NOT NULL REFERENCES identity_credentials (id) ON DELETE CASCADE
);
CREATE INDEX identity_credential_keys_identity_id_idx ON identity_credential_keys (identity_id);
CREATE INDEX identity_credential_keys_credential_id_idx ON identity_credential_keys (credential_id);
-- Keys registered before: the first registration of an id keeps it.
INSERT INTO identity_credential_keys (key_id, identity_id, credential_id)
SELECT k.value->>'id', c.identity_id, c.id
FROM identity_credentials c
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.config::jsonb->'credentials') = 'array'
    THEN c.config::jsonb->'credentials' ELSE '[]'::jsonb END) AS k(value)
WHERE c.type IN ('webauthn', 'passkey') AND k.value->>'id' IS NOT NULL
ORDER BY c.created_at
ON CONFLICT DO NOTHING;
