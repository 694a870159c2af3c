-- Session writers are conditional: each changes only the columns it owns, and the ones that
-- read before they write (recording an authentication method) do so under this version, so
-- that two of them never lose each other's change. Logout tokens are now derived from the
-- session id (HMAC under the cookie secret) instead of stored: logout_token_hash is no longer
-- read or written (kept, NULL, so that an instance of the previous release still works
-- during a rolling upgrade), and its index goes.
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
DROP INDEX sessions_logout_token_hash_idx;
