-- The courier's queue: one row per message to send, and one row per attempt to send it.
-- payload is the rendered message with its template data, sealed by the courier (it can hold
-- a recovery or verification code): the store never reads it. available_at is when the message
-- may next be claimed: a queued message waiting for its retry, or a claimed one whose claim
-- (claim_id) lapses then, so that a worker that died mid-send does not hold it for good.
CREATE TABLE courier_messages (
    id            TEXT PRIMARY KEY NOT NULL,
    type          TEXT NOT NULL,
    channel       TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    template_type TEXT NOT NULL,
    status        TEXT NOT NULL,
    send_count    INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    payload       TEXT NOT NULL,
    claim_id      TEXT,
    available_at  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX courier_messages_due_idx ON courier_messages (status, available_at);
CREATE INDEX courier_messages_created_idx ON courier_messages (created_at, id);
CREATE INDEX courier_messages_recipient_idx ON courier_messages (recipient, created_at);

CREATE TABLE courier_message_dispatches (
    id         TEXT PRIMARY KEY NOT NULL,
    message_id TEXT NOT NULL REFERENCES courier_messages (id) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    error      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX courier_message_dispatches_message_idx ON courier_message_dispatches (message_id, created_at);
