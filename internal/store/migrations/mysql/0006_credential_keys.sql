-- The credential id of every WebAuthn and passkey key, once across all identities: WebAuthn
-- (section 7.1) has the relying party refuse a credential id that is already registered. The
-- id is kept in standard base64, the form the credential config's JSON holds it in (at most
-- 1,023 bytes of id: 1,364 ASCII characters, within InnoDB's 3,072-byte key limit).
CREATE TABLE identity_credential_keys (
    key_id        VARCHAR(1400) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    identity_id   CHAR(36) NOT NULL,
    credential_id CHAR(36) NOT NULL,
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE,
    FOREIGN KEY (credential_id) REFERENCES identity_credentials (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX identity_credential_keys_identity_id_idx ON identity_credential_keys (identity_id);
CREATE INDEX identity_credential_keys_credential_id_idx ON identity_credential_keys (credential_id);
-- Keys registered before: the first registration of an id keeps it.
INSERT IGNORE INTO identity_credential_keys (key_id, identity_id, credential_id)
SELECT jt.key_id, c.identity_id, c.id
FROM identity_credentials c,
    JSON_TABLE(c.config, '$.credentials[*]' COLUMNS (key_id VARCHAR(1400) PATH '$.id')) AS jt
WHERE c.type IN ('webauthn', 'passkey') AND jt.key_id IS NOT NULL
ORDER BY c.created_at;
