package sqlstore

// Durability matched to the data. PostgreSQL (synchronous_commit on, its default) answers a
// commit only once the commit's WAL is flushed to disk: an fsync that every commit waits for
// (5–8 ms each on the bench machine, a sequential run of 500 single-row inserts). SQLite, as
// opened here (WAL, synchronous=NORMAL), never waits for one: a commit survives a crash of
// the program but may be lost, with the last moments before it, when the machine loses power.
//
// Rows whose loss in a crash of the database server harms nobody are written on PostgreSQL
// without that wait, by single statements that turn synchronous_commit off for their own
// transaction (set_config with is_local, so the next statement on the connection waits
// again). A crash then loses at most the last few hundred milliseconds of them (three times
// wal_writer_delay); it never corrupts anything, and a later waiting commit flushes them too,
// as the WAL is one sequence. Those rows are:
//
//   - a new or changed self-service flow written on its own (CreateFlow, UpdateFlow): lost,
//     its person starts the flow again (410 or 404, as for an expired one);
//   - the old flows TrimFlows deletes: lost, they stay until the cleanup;
//   - a session's new expiry (ExtendSession): lost, the session ends when it would have
//     without the extension;
//   - attempts given back to a throttle (ReleaseAttempt, ClearFailures): lost, the budget
//     stays stricter than it should.
//
// Everything else waits for the flush, as before: identities, credentials, identifiers and
// addresses, a session's creation, revocation and authentication, an attempt counted against
// a throttle (its loss would hand a guesser attempts back), one-time codes, the single-use
// flows DeleteFlow consumes (OIDC state, WebAuthn challenges: their loss could let one be
// replayed), audit events, courier messages, and any write inside a transaction (there the
// setting would cover the transaction's other rows: a settings change writes the identity
// and its flows in one). TestDisposableWrites lists which statements use it.

// lazyCommit is the condition a disposable single-statement write ANDs into its WHERE on
// PostgreSQL: true, and its evaluation turns synchronous_commit off until the statement's
// implicit transaction ends.
const lazyCommit = "set_config('synchronous_commit', 'off', true) = 'off'"

// lazy reports whether a disposable write through x may commit without waiting for the WAL
// flush: on PostgreSQL, when x is not a transaction.
func (x q) lazy() bool { return x.tx == nil && x.d.name == "postgres" }

// andLazy is " AND "+lazyCommit for a WHERE when x.lazy(), else "".
func (x q) andLazy() string {
	if x.lazy() {
		return " AND " + lazyCommit
	}
	return ""
}
