-- Portico's initial schema for SQLite. Times are TEXT "YYYY-MM-DD HH:MM:SS.ffffff" in UTC
-- (fixed width, so they compare correctly as strings); JSON documents are TEXT.

CREATE TABLE identities (
    id               TEXT PRIMARY KEY NOT NULL,
    schema_id        TEXT NOT NULL,
    state            TEXT NOT NULL,
    state_changed_at TEXT NULL,
    traits           TEXT NOT NULL,
    metadata_public  TEXT NULL,
    metadata_admin   TEXT NULL,
    organization_id  TEXT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE identity_credentials (
    id          TEXT PRIMARY KEY NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    config      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (identity_id, type)
);

CREATE TABLE identity_credential_identifiers (
    credential_type TEXT NOT NULL,
    identifier      TEXT NOT NULL,
    identity_id     TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL REFERENCES identity_credentials (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (credential_type, identifier)
);
CREATE INDEX identity_credential_identifiers_identity_id_idx ON identity_credential_identifiers (identity_id);
CREATE INDEX identity_credential_identifiers_credential_id_idx ON identity_credential_identifiers (credential_id);
CREATE INDEX identity_credential_identifiers_identifier_idx ON identity_credential_identifiers (identifier);

CREATE TABLE identity_verifiable_addresses (
    id          TEXT PRIMARY KEY NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    via         TEXT NOT NULL,
    value       TEXT NOT NULL,
    verified    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,
    verified_at TEXT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (via, value)
);
CREATE INDEX identity_verifiable_addresses_identity_id_idx ON identity_verifiable_addresses (identity_id);

CREATE TABLE identity_recovery_addresses (
    id          TEXT PRIMARY KEY NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    via         TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (via, value)
);
CREATE INDEX identity_recovery_addresses_identity_id_idx ON identity_recovery_addresses (identity_id);

CREATE TABLE sessions (
    id                     TEXT PRIMARY KEY NOT NULL,
    token_hash             BLOB NOT NULL UNIQUE,
    logout_token_hash      BLOB NULL,
    identity_id            TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    active                 INTEGER NOT NULL DEFAULT 0,
    aal                    TEXT NOT NULL,
    authenticated_at       TEXT NOT NULL,
    issued_at              TEXT NOT NULL,
    expires_at             TEXT NOT NULL,
    authentication_methods TEXT NOT NULL,
    devices                TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE INDEX sessions_identity_id_issued_at_idx ON sessions (identity_id, issued_at);
CREATE INDEX sessions_issued_at_idx ON sessions (issued_at);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_logout_token_hash_idx ON sessions (logout_token_hash);

CREATE TABLE flows (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    identity_id TEXT NULL REFERENCES identities (id) ON DELETE CASCADE,
    expires_at  TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX flows_expires_at_idx ON flows (expires_at);
CREATE INDEX flows_identity_id_idx ON flows (identity_id);

CREATE TABLE self_service_errors (
    id         TEXT PRIMARY KEY NOT NULL,
    data       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX self_service_errors_created_at_idx ON self_service_errors (created_at);

CREATE TABLE key_values (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
