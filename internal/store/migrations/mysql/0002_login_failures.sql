-- Failed sign-in attempts per hashed identifier, counted in fixed windows and shared by every
-- instance (the login throttle).
CREATE TABLE login_failures (
    id           VARCHAR(64) PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL,
    window_start DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX login_failures_window_start_idx ON login_failures (window_start);
