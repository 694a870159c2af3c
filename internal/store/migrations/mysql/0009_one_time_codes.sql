-- One-time codes and link tokens of the verification, recovery and code sign-in flows. Only a
-- keyed hash of a code is kept (never the code), bound to its flow: the flow id is part of
-- what is hashed, and the row goes with the flow. attempts counts the tries on the code,
-- reserved by a conditional update before a guess is compared; used_at makes it single use.
CREATE TABLE one_time_codes (
    id          CHAR(36) PRIMARY KEY NOT NULL,
    flow_id     CHAR(36) NOT NULL,
    purpose     VARCHAR(32) NOT NULL,
    method      VARCHAR(16) NOT NULL,
    identity_id CHAR(36) NULL,
    via         VARCHAR(32) NOT NULL,
    address     VARCHAR(255) NOT NULL,
    hash        VARBINARY(64) NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  DATETIME(6) NOT NULL,
    used_at     DATETIME(6) NULL,
    created_at  DATETIME(6) NOT NULL,
    FOREIGN KEY (flow_id) REFERENCES flows (id) ON DELETE CASCADE,
    FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX one_time_codes_flow_id_idx ON one_time_codes (flow_id, purpose, method);
CREATE INDEX one_time_codes_hash_idx ON one_time_codes (hash);
CREATE INDEX one_time_codes_expires_at_idx ON one_time_codes (expires_at);
