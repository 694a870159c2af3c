-- The courier's queue: one row per message to send, and one row per attempt to send it.
-- payload is the rendered message with its template data, sealed by the courier (it can hold
-- a recovery or verification code): the store never reads it. available_at is when the message
-- may next be claimed: a queued message waiting for its retry, or a claimed one whose claim
-- (claim_id) lapses then, so that a worker that died mid-send does not hold it for good.
CREATE TABLE courier_messages (
    id            CHAR(36) PRIMARY KEY NOT NULL,
    type          VARCHAR(32) NOT NULL,
    channel       VARCHAR(255) NOT NULL,
    recipient     VARCHAR(320) NOT NULL,
    template_type VARCHAR(255) NOT NULL,
    status        VARCHAR(32) NOT NULL,
    send_count    INTEGER NOT NULL DEFAULT 0,
    last_error    LONGTEXT NULL,
    payload       LONGTEXT NOT NULL,
    claim_id      CHAR(36) NULL,
    available_at  DATETIME(6) NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX courier_messages_due_idx ON courier_messages (status, available_at);
CREATE INDEX courier_messages_created_idx ON courier_messages (created_at, id);
CREATE INDEX courier_messages_recipient_idx ON courier_messages (recipient, created_at);

CREATE TABLE courier_message_dispatches (
    id         CHAR(36) PRIMARY KEY NOT NULL,
    message_id CHAR(36) NOT NULL,
    status     VARCHAR(32) NOT NULL,
    error      LONGTEXT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    FOREIGN KEY (message_id) REFERENCES courier_messages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX courier_message_dispatches_message_idx ON courier_message_dispatches (message_id, created_at);
