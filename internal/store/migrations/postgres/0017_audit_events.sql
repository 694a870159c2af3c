-- The audit trail (internal/audit): one row per security event. identity_id has no foreign
-- key on purpose: the trail of an identity outlives it (its deletion is an event too) until
-- the retention (audit.retention) deletes it. details is a small JSON object.
CREATE TABLE audit_events (
    id          UUID PRIMARY KEY NOT NULL,
    identity_id UUID,
    session_id  UUID,
    type        TEXT NOT NULL,
    address     TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    details     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_identity_idx ON audit_events (identity_id, created_at, id);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);
