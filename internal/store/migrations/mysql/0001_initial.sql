-- Portico's initial schema for MySQL/MariaDB. Times are DATETIME(6) in UTC; JSON documents are
-- LONGTEXT; every table is utf8mb4 with a binary collation so identifiers compare exactly.

CREATE TABLE identities (
    id               CHAR(36) PRIMARY KEY NOT NULL,
    schema_id        VARCHAR(255) NOT NULL,
    state            VARCHAR(255) NOT NULL,
    state_changed_at DATETIME(6) NULL,
    traits           LONGTEXT NOT NULL,
    metadata_public  LONGTEXT NULL,
    metadata_admin   LONGTEXT NULL,
    organization_id  CHAR(36) NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       DATETIME(6) NOT NULL,
    updated_at       DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE identity_credentials (
    id          CHAR(36) PRIMARY KEY NOT NULL,
    identity_id CHAR(36) NOT NULL,
    type        VARCHAR(255) NOT NULL,
    config      LONGTEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    UNIQUE (identity_id, type),
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE identity_credential_identifiers (
    credential_type VARCHAR(255) NOT NULL,
    identifier      VARCHAR(255) NOT NULL,
    identity_id     CHAR(36) NOT NULL,
    credential_id   CHAR(36) NOT NULL,
    position        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (credential_type, identifier),
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE,
    FOREIGN KEY (credential_id) REFERENCES identity_credentials (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX identity_credential_identifiers_identity_id_idx ON identity_credential_identifiers (identity_id);
CREATE INDEX identity_credential_identifiers_credential_id_idx ON identity_credential_identifiers (credential_id);
CREATE INDEX identity_credential_identifiers_identifier_idx ON identity_credential_identifiers (identifier);

CREATE TABLE identity_verifiable_addresses (
    id          CHAR(36) PRIMARY KEY NOT NULL,
    identity_id CHAR(36) NOT NULL,
    via         VARCHAR(255) NOT NULL,
    value       VARCHAR(255) NOT NULL,
    verified    BOOLEAN NOT NULL DEFAULT FALSE,
    status      LONGTEXT NOT NULL,
    verified_at DATETIME(6) NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    UNIQUE (via, value),
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX identity_verifiable_addresses_identity_id_idx ON identity_verifiable_addresses (identity_id);

CREATE TABLE identity_recovery_addresses (
    id          CHAR(36) PRIMARY KEY NOT NULL,
    identity_id CHAR(36) NOT NULL,
    via         VARCHAR(255) NOT NULL,
    value       VARCHAR(255) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    UNIQUE (via, value),
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX identity_recovery_addresses_identity_id_idx ON identity_recovery_addresses (identity_id);

CREATE TABLE sessions (
    id                     CHAR(36) PRIMARY KEY NOT NULL,
    token_hash             VARBINARY(64) NOT NULL UNIQUE,
    logout_token_hash      VARBINARY(64) NULL,
    identity_id            CHAR(36) NOT NULL,
    active                 BOOLEAN NOT NULL DEFAULT FALSE,
    aal                    VARCHAR(255) NOT NULL,
    authenticated_at       DATETIME(6) NOT NULL,
    issued_at              DATETIME(6) NOT NULL,
    expires_at             DATETIME(6) NOT NULL,
    authentication_methods LONGTEXT NOT NULL,
    devices                LONGTEXT NOT NULL,
    created_at             DATETIME(6) NOT NULL,
    updated_at             DATETIME(6) NOT NULL,
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX sessions_identity_id_issued_at_idx ON sessions (identity_id, issued_at);
CREATE INDEX sessions_issued_at_idx ON sessions (issued_at);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_logout_token_hash_idx ON sessions (logout_token_hash);

CREATE TABLE flows (
    id          CHAR(36) PRIMARY KEY NOT NULL,
    kind        VARCHAR(255) NOT NULL,
    identity_id CHAR(36) NULL,
    expires_at  DATETIME(6) NOT NULL,
    data        LONGTEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX flows_expires_at_idx ON flows (expires_at);
CREATE INDEX flows_identity_id_idx ON flows (identity_id);

CREATE TABLE self_service_errors (
    id         CHAR(36) PRIMARY KEY NOT NULL,
    data       LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX self_service_errors_created_at_idx ON self_service_errors (created_at);

CREATE TABLE key_values (
    name       VARCHAR(255) PRIMARY KEY NOT NULL,
    value      LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
