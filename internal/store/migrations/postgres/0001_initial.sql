-- Portico's initial schema for PostgreSQL. Times are TIMESTAMPTZ; JSON documents are TEXT so
-- they come back byte for byte as stored.

CREATE TABLE identities (
    id               UUID PRIMARY KEY NOT NULL,
    schema_id        TEXT NOT NULL,
    state            TEXT NOT NULL,
    state_changed_at TIMESTAMPTZ NULL,
    traits           TEXT NOT NULL,
    metadata_public  TEXT NULL,
    metadata_admin   TEXT NULL,
    organization_id  UUID NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE identity_credentials (
    id          UUID PRIMARY KEY NOT NULL,
    identity_id UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    config      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (identity_id, type)
);

CREATE TABLE identity_credential_identifiers (
    credential_type TEXT NOT NULL,
    identifier      TEXT NOT NULL,
    identity_id     UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    credential_id   UUID NOT NULL REFERENCES identity_credentials (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (credential_type, identifier)
);
CREATE INDEX identity_credential_identifiers_identity_id_idx ON identity_credential_identifiers (identity_id);
CREATE INDEX identity_credential_identifiers_credential_id_idx ON identity_credential_identifiers (credential_id);
CREATE INDEX identity_credential_identifiers_identifier_idx ON identity_credential_identifiers (identifier);

CREATE TABLE identity_verifiable_addresses (
    id          UUID PRIMARY KEY NOT NULL,
    identity_id UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    via         TEXT NOT NULL,
    value       TEXT NOT NULL,
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    status      TEXT NOT NULL,
    verified_at TIMESTAMPTZ NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (via, value)
);
CREATE INDEX identity_verifiable_addresses_identity_id_idx ON identity_verifiable_addresses (identity_id);

CREATE TABLE identity_recovery_addresses (
    id          UUID PRIMARY KEY NOT NULL,
    identity_id UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    via         TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (via, value)
);
CREATE INDEX identity_recovery_addresses_identity_id_idx ON identity_recovery_addresses (identity_id);

CREATE TABLE sessions (
    id                     UUID PRIMARY KEY NOT NULL,
    token_hash             BYTEA NOT NULL UNIQUE,
    logout_token_hash      BYTEA NULL,
    identity_id            UUID NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    active                 BOOLEAN NOT NULL DEFAULT FALSE,
    aal                    TEXT NOT NULL,
    authenticated_at       TIMESTAMPTZ NOT NULL,
    issued_at              TIMESTAMPTZ NOT NULL,
    expires_at             TIMESTAMPTZ NOT NULL,
    authentication_methods TEXT NOT NULL,
    devices                TEXT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_identity_id_issued_at_idx ON sessions (identity_id, issued_at);
CREATE INDEX sessions_issued_at_idx ON sessions (issued_at);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_logout_token_hash_idx ON sessions (logout_token_hash);

CREATE TABLE flows (
    id          UUID PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    identity_id UUID NULL REFERENCES identities (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    data        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX flows_expires_at_idx ON flows (expires_at);
CREATE INDEX flows_identity_id_idx ON flows (identity_id);

CREATE TABLE self_service_errors (
    id         UUID PRIMARY KEY NOT NULL,
    data       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX self_service_errors_created_at_idx ON self_service_errors (created_at);

CREATE TABLE key_values (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
