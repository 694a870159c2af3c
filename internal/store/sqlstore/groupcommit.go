package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
)

// Group commit of new flows on SQLite.
//
// Every commit on SQLite writes, besides the row's own pages, the pages every insert shares:
// the database header (page 1), the pointer map page, the freelist trunk, the leaves of the
// table and of its indexes that new rows go to. A settings flow of the MFA configuration
// (12.6 KB) wrote 10.6 WAL frames of 4 KiB committed alone, 7.0 four to a commit and 6.5 eight
// to a commit; and every frame the WAL takes is one the auto-checkpoint copies back later.
// So concurrent CreateFlow calls share a transaction, with a leader and followers and no
// goroutine of its own:
//
//   - a caller that finds no flow write in flight writes its row alone, at once, on its own
//     context (as without grouping): no wait and no added work when the writer is idle;
//   - callers that come while a write is in flight queue; when the write ends, its writer wakes
//     the first of them, which takes up to maxFlowBatch-1 more from the queue and writes them
//     all in one transaction (BEGIN IMMEDIATE on the writer connection), then wakes the next
//     leader and the rows' callers. There is no timer: a batch is whatever queued meanwhile.
//
// Each caller gets its own row's result. A row the database refuses on its own (a duplicate id,
// an identity that is not there, a value too big) fails alone: SQLite undoes only that
// statement and the transaction goes on. Any other error rolls the batch back and each row
// is then written alone. The batch runs on its leader's context without its cancellation and
// with a bound (flowBatchTimeout), so that no caller's cancellation undoes the others' rows.
// A caller cancelled while still queued leaves the queue and returns ctx.Err() with its row
// not written; once a leader took its row, it waits for the result, since the row's bytes are
// the caller's only until CreateFlow returns (store.FlowRecord).
//
// PostgreSQL and MySQL write each flow on its own (there a commit of a disposable row waits
// for no flush; see durability.go).

// maxFlowBatch bounds the rows of one transaction: a batch holds the writer connection, and
// other writers (a sign-in's session) wait for it meanwhile.
const maxFlowBatch = 32

// flowBatchTimeout bounds one batch's time.
const flowBatchTimeout = 10 * time.Second

// flowCommit is the queue of the flow inserts waiting for the writer.
type flowCommit struct {
	mu sync.Mutex
	// busy: a flow insert is in flight (a caller alone, or a leader with its batch); the
	// callers that come meanwhile queue.
	busy  bool
	queue []*flowWaiter
	// batches counts the transactions of more than one row and batched the rows they wrote
	// (tests).
	batches, batched int
}

// flowWaiter is one queued row.
type flowWaiter struct {
	args []any
	err  error
	// wake receives true when this caller is to lead the next batch, false when its row was
	// written (or failed) and err is the result.
	wake chan bool
}

// createFlowGrouped is CreateFlow on SQLite, with its row's values (flowRow). It returns once
// the row is written, failed, or will never be written.
func (s *Store) createFlowGrouped(ctx context.Context, args []any) error {
	g := &s.flowGroup
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		// Deferred, so that a write that panics does not leave the queue held for good.
		defer s.passFlowLead()
		return s.insertFlowAlone(ctx, args)
	}
	w := &flowWaiter{args: args, wake: make(chan bool, 1)}
	g.queue = append(g.queue, w)
	g.mu.Unlock()
	var lead bool
	select {
	case lead = <-w.wake:
	case <-ctx.Done():
		if g.leave(w) {
			return mapErr(ctx.Err(), "insert flow")
		}
		// A leader has taken the row: its bytes are in use until the batch is written.
		lead = <-w.wake
	}
	if lead {
		s.leadFlowBatch(ctx, w)
	}
	return w.err
}

// insertFlowAlone writes one flow row in a transaction of its own.
func (s *Store) insertFlowAlone(ctx context.Context, args []any) error {
	return flowInsertErr(execFlowInsert(ctx, s.writer(), args))
}

// leave takes w out of the queue, and reports whether it was still there.
func (g *flowCommit) leave(w *flowWaiter) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, x := range g.queue {
		if x == w {
			last := len(g.queue) - 1
			copy(g.queue[i:], g.queue[i+1:])
			g.queue[last] = nil
			g.queue = g.queue[:last]
			return true
		}
	}
	return false
}

// passFlowLead ends a flow write: the first caller queued meanwhile leads the next batch,
// or, when none is, the next caller writes alone.
func (s *Store) passFlowLead() {
	g := &s.flowGroup
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.busy = false
		g.mu.Unlock()
		return
	}
	next := g.queue[0]
	g.queue = g.take(1)
	g.mu.Unlock()
	next.wake <- true
}

// take returns the queue without its first n waiters, in the same array (g.mu held).
func (g *flowCommit) take(n int) []*flowWaiter {
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	return g.queue[:rest]
}

// leadFlowBatch writes w's row with the rows queued behind it (up to maxFlowBatch in all),
// then passes the lead on and wakes the rows' callers.
func (s *Store) leadFlowBatch(ctx context.Context, w *flowWaiter) {
	g := &s.flowGroup
	g.mu.Lock()
	n := min(len(g.queue), maxFlowBatch-1)
	batch := make([]*flowWaiter, 0, n+1)
	batch = append(batch, w)
	batch = append(batch, g.queue[:n]...)
	g.queue = g.take(n)
	if n > 0 {
		g.batches++
		g.batched += n + 1
	}
	g.mu.Unlock()
	// Deferred, so that a write that panics (in the leader's call, where the panic goes on)
	// still passes the lead on and answers the batch's other callers: their rows are then
	// reported not written (errFlowNotWritten), never stored when they were not.
	defer func() {
		s.passFlowLead()
		for _, x := range batch[1:] {
			x.wake <- false
		}
	}()
	if n == 0 {
		w.err = s.insertFlowAlone(ctx, w.args)
		return
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flowBatchTimeout)
	defer cancel()
	s.writeFlowBatch(bctx, batch)
}

// errFlowNotWritten is the result of a row whose batch ended before it was committed (a panic
// in the write).
var errFlowNotWritten = apierr.ErrInternal.WithReason("the flow was not stored")

// writeFlowBatch writes batch's rows in one transaction and sets each row's err. A row is
// reported written only once the transaction committed.
func (s *Store) writeFlowBatch(ctx context.Context, batch []*flowWaiter) {
	for _, x := range batch {
		x.err = errFlowNotWritten
	}
	// Prepared on the pool before the transaction holds its one connection: inside it, x
	// runs the cached statement bound to the transaction.
	_, _ = s.wstmts.get(ctx, flowInsertValues)
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		s.insertFlowsAlone(ctx, batch)
		return
	}
	// After a commit this does nothing; after a panic it gives the writer connection back.
	defer func() { _ = tx.Rollback() }()
	x := q{d: s.d, db: tx, stmts: s.wstmts, tx: tx, record: s.record}
	rowErr := make([]error, len(batch))
	for i, w := range batch {
		err := execFlowInsert(ctx, x, w.args)
		if err == nil {
			continue
		}
		if !rowOnly(err) {
			_ = tx.Rollback()
			s.insertFlowsAlone(ctx, batch)
			return
		}
		rowErr[i] = flowInsertErr(err)
	}
	cerr := tx.Commit()
	if cerr != nil {
		cerr = mapErr(cerr, "insert flow")
	}
	for i, w := range batch {
		w.err = rowErr[i]
		if w.err == nil {
			w.err = cerr
		}
	}
}

// insertFlowsAlone writes each of batch's rows in a transaction of its own.
func (s *Store) insertFlowsAlone(ctx context.Context, batch []*flowWaiter) {
	for _, x := range batch {
		x.err = s.insertFlowAlone(ctx, x.args)
	}
}

// rowOnly reports whether err, from one INSERT inside a transaction, undid only that
// statement: a constraint the row breaks or a value too big. SQLite keeps the transaction
// going after those; after others (a full disk, an I/O error, an interruption) it may have
// rolled it back.
func rowOnly(err error) bool {
	switch classify(err) {
	case kindUnique, kindForeignKey, kindInvalidInput:
		return true
	}
	return false
}

// flowBatches reports how many transactions of more than one new flow were written and the
// flows they held (tests).
func (s *Store) flowBatches() (batches, rows int) {
	s.flowGroup.mu.Lock()
	defer s.flowGroup.mu.Unlock()
	return s.flowGroup.batches, s.flowGroup.batched
}
