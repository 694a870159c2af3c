-- The audit trail (internal/audit): one row per security event. identity_id has no foreign
-- key on purpose: the trail of an identity outlives it (its deletion is an event too) until
-- the retention (audit.retention) deletes it. details is a small JSON object; user_agent and
-- address are bounded by internal/audit (256 and 64 bytes).
CREATE TABLE audit_events (
    id          CHAR(36) PRIMARY KEY NOT NULL,
    identity_id CHAR(36) NULL,
    session_id  CHAR(36) NULL,
    type        VARCHAR(64) NOT NULL,
    address     VARCHAR(64) NOT NULL,
    user_agent  VARCHAR(1024) NOT NULL,
    details     TEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX audit_events_identity_idx ON audit_events (identity_id, created_at, id);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);
