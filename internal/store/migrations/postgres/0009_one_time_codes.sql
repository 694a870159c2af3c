-- One-time codes and link tokens of the verification, recovery and code sign-in flows. Only a
-- keyed hash of a code is kept (never the code), bound to its flow: the flow id is part of
-- what is hashed, and the row goes with the flow. attempts counts the tries on the code,
-- reserved by a conditional update before a guess is compared; used_at makes it single use.
CREATE TABLE one_time_codes (
    id          UUID PRIMARY KEY NOT NULL,
    flow_id     UUID NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    method      TEXT NOT NULL,
    identity_id UUID NULL REFERENCES identities (id) ON DELETE CASCADE,
    via         TEXT NOT NULL,
    address     TEXT NOT NULL,
    hash        BYTEA NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX one_time_codes_flow_id_idx ON one_time_codes (flow_id, purpose, method);
CREATE INDEX one_time_codes_hash_idx ON one_time_codes (hash);
CREATE INDEX one_time_codes_identity_id_idx ON one_time_codes (identity_id);
CREATE INDEX one_time_codes_expires_at_idx ON one_time_codes (expires_at);
