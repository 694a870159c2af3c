package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"sync"
	"time"
)

// walKeeper bounds a SQLite file's write-ahead log.
//
// SQLite checkpoints the WAL into the database after commits (wal_autocheckpoint) but only
// starts writing it from the beginning again when no reader is using it. Under constant reads
// there is always such a reader, so the log is never restarted and grows for as long as the
// process runs (10.5 GB during a cleanup of 565k rows, and it stayed that size). The keeper
// looks at the WAL's size every interval; past half of maxSize (trigger) it runs a TRUNCATE
// checkpoint on the writer connection. Starting at half leaves the other half for what writers
// commit between the look and the checkpoint (the keeper waits its turn for the writer
// connection, and a checkpoint that gives up is tried again a tick later): started at maxSize,
// the WAL of a 9.5 GB file under a cleanup and constant reads and writes peaked at 67.4 MiB
// against 64 MiB. That checkpoint copies every frame into the database, waits for the
// readers still on old snapshots to finish (new readers no longer need the log once it is
// fully copied, so under constant reads the wait ends within the longest read), and truncates
// the file to zero bytes.
//
// Writers wait while it runs, since it holds the one writer connection; the wait for readers
// is bounded by checkpointBusy, after which the checkpoint gives up and is tried on the next
// tick.
type walKeeper struct {
	db     *sql.DB // the writer pool (one connection)
	path   string  // the WAL file
	policy walPolicy
	stop   context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	stats WALStats
}

// WALStats reports what the keeper did, for tests and the bench.
type WALStats struct {
	// Checkpoints counts truncating checkpoints that completed; Busy those that gave up
	// because a reader held an old snapshot past checkpointBusy.
	Checkpoints, Busy int
	// LastError is the last checkpoint error other than busy ("" when none).
	LastError string
}

// checkpointBusy bounds how long one checkpoint waits for readers (and so how long it can
// hold up writers) before trying again on the next tick.
const checkpointBusy = 250 * time.Millisecond

// writerBusyTimeout is the writer connection's busy timeout, restored after a checkpoint
// (the busy_timeout pragma in sqliteParams).
const writerBusyTimeout = 10000

func startWALKeeper(db *sql.DB, dbPath string, p walPolicy) *walKeeper {
	ctx, cancel := context.WithCancel(context.Background())
	k := &walKeeper{db: db, path: dbPath + "-wal", policy: p, stop: cancel, done: make(chan struct{})}
	go k.run(ctx)
	return k
}

func (k *walKeeper) run(ctx context.Context) {
	defer close(k.done)
	t := time.NewTicker(k.policy.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fi, err := os.Stat(k.path)
		if err != nil || fi.Size() <= k.policy.trigger() {
			continue
		}
		busy, err := k.checkpoint(ctx)
		k.mu.Lock()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				k.stats.LastError = err.Error()
			}
		case busy:
			k.stats.Busy++
		default:
			k.stats.Checkpoints++
		}
		k.mu.Unlock()
	}
}

// checkpoint runs PRAGMA wal_checkpoint(TRUNCATE) with a short busy timeout on the writer
// connection and reports whether it gave up because of readers or a writer.
func (k *walKeeper) checkpoint(ctx context.Context) (busy bool, err error) {
	conn, err := k.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", checkpointBusy.Milliseconds())); err != nil {
		return false, err
	}
	defer func() {
		// The pool's next user expects the usual timeout; a connection that cannot be
		// reset is not returned to the pool.
		if _, rerr := conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", writerBusyTimeout)); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	var b, logFrames, done int
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&b, &logFrames, &done); err != nil {
		return false, err
	}
	return b != 0, nil
}

func (k *walKeeper) close() {
	k.stop()
	<-k.done
}

func (k *walKeeper) snapshot() WALStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stats
}

// WALStats reports the WAL keeper's work on a SQLite file (zero elsewhere).
func (s *Store) WALStats() WALStats {
	if s.wal == nil {
		return WALStats{}
	}
	return s.wal.snapshot()
}
