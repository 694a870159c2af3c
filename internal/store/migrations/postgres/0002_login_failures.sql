-- Failed sign-in attempts per hashed identifier, counted in fixed windows and shared by every
-- instance (the login throttle).
CREATE TABLE login_failures (
    id           TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMPTZ NOT NULL
);

CREATE INDEX login_failures_window_start_idx ON login_failures (window_start);
