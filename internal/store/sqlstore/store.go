// Package sqlstore implements store.Store over SQLite (modernc.org/sqlite), PostgreSQL (pgx)
// and MySQL/MariaDB with one set of queries; what differs between them lives in dialect.go.
// Migrations come from internal/store/migrations and are applied by MigrateUp.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/store"
)

var _ store.Store = (*Store)(nil)

// Store is the SQL implementation of store.Store. It is safe for concurrent use.
type Store struct {
	// Now is the clock used for timestamps the store fills in.
	Now func() time.Time

	d dialect
	// rdb serves reads; wdb serves writes and transactions. They are the same pool except on
	// file-backed SQLite, where wdb is a single connection.
	rdb, wdb *sql.DB
	// rstmts and wstmts are the prepared statements of each pool.
	rstmts, wstmts *stmtCache
	// qSessionByToken and qSessionByID are the one-round-trip session reads of this
	// dialect (see sessionLoadQuery), built once so that they are fixed strings.
	qSessionByToken, qSessionByID string
	// qSessionRowByToken and qSessionRowByID read the session and identity rows only, for
	// an identity whose relations are in rels.
	qSessionRowByToken, qSessionRowByID string
	// qSessionRowFlowByToken is qSessionRowByToken that also reads a flow (store.FlowPrefetch).
	qSessionRowFlowByToken string
	// qRelations reads an identity's relations only (see relationsQuery), for a session read
	// whose identity's relations are not in rels.
	qRelations string
	rels       *relationCache
	// flowGroup queues new flows for a shared transaction on SQLite (groupcommit.go).
	flowGroup flowCommit
	// wal bounds a SQLite file's write-ahead log (nil elsewhere).
	wal *walKeeper
	// record, when set (tests only: the plan test), is told every statement run, rebound for
	// the dialect, with its arguments.
	record func(query string, args []any)
	// deleteTarget is how long one batch of DeleteIdentity should hold the writer
	// (identityDeleteTarget; tests shorten it).
	deleteTarget time.Duration
	// log is told what the store does in the background of a call that has already
	// succeeded (a deletion's rows that failed to follow); nil: slog's default.
	log *slog.Logger
	// bg is the context of work the store goes on with after a call returned (a deletion's
	// rows, purgeOrLeave); Close cancels it and waits for bgWG. purgeWait is how long a
	// deletion waits for that work before it returns (identityPurgeWait; settable).
	bg        context.Context
	stopBG    context.CancelFunc
	bgMu      sync.Mutex
	bgClosed  bool
	bgWG      sync.WaitGroup
	purgeWait time.Duration
	// plainFlowDocs stores flow documents as text on SQLite and PostgreSQL too (tests: the
	// compressed form's figures against the plain one's, see flowDocArg).
	plainFlowDocs bool
}

// SetLogger sets where the store reports work it leaves to the cleanup (see purgeIdentity).
func (s *Store) SetLogger(l *slog.Logger) { s.log = l }

func (s *Store) logger() *slog.Logger {
	if s.log != nil {
		return s.log
	}
	return slog.Default()
}

func newStore(d dialect, rdb, wdb *sql.DB) *Store {
	s := &Store{Now: time.Now, d: d, rdb: rdb, wdb: wdb, rstmts: newStmtCache(rdb, d),
		qSessionByToken: sessionLoadQuery(d, "s.token_hash = ?"), qSessionByID: sessionLoadQuery(d, "s.id = ?"),
		qSessionRowByToken: sessionRowQuery("s.token_hash = ?"), qSessionRowByID: sessionRowQuery("s.id = ?"),
		qSessionRowFlowByToken: sessionRowFlowQuery("s.token_hash = ?"),
		qRelations:             relationsQuery(d),
		rels:                   newRelationCache(relationCacheSize),
		deleteTarget:           identityDeleteTarget, purgeWait: identityPurgeWait}
	s.bg, s.stopBG = context.WithCancel(context.Background())
	s.wstmts = s.rstmts
	if wdb != rdb {
		s.wstmts = newStmtCache(wdb, d)
	}
	return s
}

// Dialect names the backend: "sqlite", "postgres" or "mysql".
func (s *Store) Dialect() string { return s.d.name }

// DB returns the pool used for writes, for tests and tools that need raw SQL.
func (s *Store) DB() *sql.DB { return s.wdb }

func (s *Store) now() time.Time { return normTime(s.Now()) }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return mapErr(err, "ping database")
	}
	if s.wdb != s.rdb {
		if err := s.wdb.PingContext(ctx); err != nil {
			return mapErr(err, "ping database")
		}
	}
	return nil
}

// Close releases the prepared statements and the connections.
func (s *Store) Close() error {
	// Work left running in the background stops at its next statement; the cleanup finishes it.
	s.bgMu.Lock()
	s.bgClosed = true
	s.bgMu.Unlock()
	s.stopBG()
	s.bgWG.Wait()
	if s.wal != nil {
		s.wal.close()
	}
	err := s.rstmts.close()
	if s.wstmts != s.rstmts {
		err = errors.Join(err, s.wstmts.close())
	}
	err = errors.Join(err, s.rdb.Close())
	if s.wdb != s.rdb {
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q wraps a pool or a transaction so that every query is rebound for the dialect and runs
// as a cached prepared statement.
type q struct {
	d     dialect
	db    querier
	stmts *stmtCache
	tx    *sql.Tx // set when db is a transaction
	// missed collects, inside a transaction, the queries that had no prepared statement yet;
	// they are prepared on the pool once the transaction has ended.
	missed *[]string
	// record is Store.record.
	record func(query string, args []any)
	// ran, when set, counts the statements run through this q.
	ran *int
}

// prepared returns the statement to run query with: the pool's cached one, bound to the
// transaction when there is one; nil when the query cannot be cached.
func (x q) prepared(ctx context.Context, query string, args []any) *sql.Stmt {
	if x.record != nil {
		x.record(x.d.rebind(query), args)
	}
	if x.ran != nil {
		*x.ran++
	}
	if x.stmts == nil {
		return nil
	}
	if x.tx != nil {
		// Inside a transaction only statements prepared earlier are used: preparing now
		// would wait for a connection the transaction itself holds.
		if st := x.stmts.lookup(query); st != nil {
			return x.tx.StmtContext(ctx, st)
		}
		if x.missed != nil {
			*x.missed = append(*x.missed, query)
		}
		return nil
	}
	st, err := x.stmts.get(ctx, query)
	if err != nil || st == nil {
		// An unpreparable query still runs (and reports its error) the plain way.
		return nil
	}
	return st
}

func (x q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := x.prepared(ctx, query, args); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return x.db.ExecContext(ctx, x.d.rebind(query), args...)
}

func (x q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := x.prepared(ctx, query, args); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return x.db.QueryContext(ctx, x.d.rebind(query), args...)
}

func (x q) row(ctx context.Context, query string, args ...any) *sql.Row {
	if st := x.prepared(ctx, query, args); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return x.db.QueryRowContext(ctx, x.d.rebind(query), args...)
}

func (s *Store) reader() q { return q{d: s.d, db: s.rdb, stmts: s.rstmts, record: s.record} }
func (s *Store) writer() q { return q{d: s.d, db: s.wdb, stmts: s.wstmts, record: s.record} }

// maxTxAttempts bounds retries of a transaction the database aborted for a deadlock or a
// serialization failure (PostgreSQL and MySQL only; SQLite has a single writer).
const maxTxAttempts = 3

// inTx runs fn in a write transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx q) error) error {
	var err error
	for attempt := 0; attempt < maxTxAttempts; attempt++ {
		err = s.tryTx(ctx, fn)
		if err == nil || !isRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, fn func(tx q) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "begin transaction")
	}
	var missed []string
	// Prepared after the transaction, when the connection it held is free again.
	defer s.prepareMissed(ctx, &missed)
	// After a commit or a rollback this does nothing; when fn panics it ends the transaction
	// (before prepareMissed, which needs the connection), so the connection comes back: on
	// SQLite it is the only writer.
	defer func() { _ = tx.Rollback() }()
	x := q{d: s.d, db: tx, stmts: s.wstmts, tx: tx, missed: &missed, record: s.record}
	if err := fn(x); err != nil {
		_ = tx.Rollback()
		return err
	}
	// The audit events the context carries go with this change (store.Events).
	evs, written := audit.Pending(ctx)
	if err := s.insertEvents(ctx, x, evs); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err, "commit transaction")
	}
	written()
	return nil
}

// prepareMissed prepares the statements a transaction ran unprepared, so the next
// transaction finds them in the cache. A failure only means they stay unprepared.
func (s *Store) prepareMissed(ctx context.Context, missed *[]string) {
	for _, query := range *missed {
		_, _ = s.wstmts.get(ctx, query)
	}
}

// affected returns the rows a statement touched, mapping "none" to notFound.
func affected(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("count affected rows: %w", err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}
