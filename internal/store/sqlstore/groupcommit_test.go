package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

func openSQLiteFileTest(t *testing.T) *Store {
	t.Helper()
	return openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
}

// holdWriter takes the SQLite writer connection, so that flow writes queue behind it, and
// returns the function that gives it back.
func holdWriter(t *testing.T, s *Store) func() {
	t.Helper()
	conn, err := s.wdb.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() { once.Do(func() { _ = conn.Close() }) }
	t.Cleanup(release)
	return release
}

// waitQueued waits until n flow writes are queued behind the one in flight.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.flowGroup.mu.Lock()
		busy, got := s.flowGroup.busy, len(s.flowGroup.queue)
		s.flowGroup.mu.Unlock()
		if busy && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d flow writes queued (busy %v), want %d", got, busy, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func flowData(i int) []byte {
	return fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, i, bytes.Repeat([]byte{'x'}, 3000+i%7*1000))
}

// TestFlowGroupCommitConcurrent: many concurrent CreateFlow calls are all stored, each with its
// own id and bytes, and they shared transactions.
func TestFlowGroupCommitConcurrent(t *testing.T) {
	for _, name := range []string{"file", "memory"} {
		t.Run(name, func(t *testing.T) {
			var s *Store
			if name == "file" {
				s = openSQLiteFileTest(t)
			} else {
				s = openMigrated(t, "memory")
			}
			ctx := t.Context()
			const n = 200
			recs := make([]*store.FlowRecord, n)
			errs := make([]error, n)
			release := holdWriter(t, s)
			var wg sync.WaitGroup
			for i := range n {
				recs[i] = &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: flowData(i)}
				if i%3 == 0 {
					recs[i].Private = []byte(fmt.Sprintf(`{"p":%d}`, i))
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = s.CreateFlow(ctx, recs[i])
				}()
			}
			waitQueued(t, s, n-1)
			release()
			wg.Wait()
			ids := map[uuid.UUID]bool{}
			for i, r := range recs {
				if errs[i] != nil {
					t.Fatalf("flow %d: %v", i, errs[i])
				}
				if ids[r.ID] || r.ID == uuid.Nil {
					t.Fatalf("flow %d: id %s not unique", i, r.ID)
				}
				ids[r.ID] = true
				got, err := s.GetFlow(ctx, "settings", r.ID)
				if err != nil {
					t.Fatalf("flow %d: %v", i, err)
				}
				if !bytes.Equal(got.Data, r.Data) || !bytes.Equal(got.Private, r.Private) {
					t.Fatalf("flow %d: stored %q / %q", i, got.Data[:20], got.Private)
				}
			}
			batches, rows := s.flowBatches()
			if batches < (n-1)/maxFlowBatch || rows != n-1 {
				t.Errorf("%d batches of %d rows in all, want %d rows in at least %d", batches, rows, n-1, (n-1)/maxFlowBatch)
			}
		})
	}
}

// TestFlowGroupCommitUnqueued: free-running concurrent writers, some of them cancelled at
// random moments, all return, and every flow reported stored is.
func TestFlowGroupCommitUnqueued(t *testing.T) {
	s := openSQLiteFileTest(t)
	const n = 300
	var wg sync.WaitGroup
	recs := make([]*store.FlowRecord, n)
	errs := make([]error, n)
	for i := range n {
		recs[i] = &store.FlowRecord{Kind: "login", ExpiresAt: time.Now().Add(time.Hour), Data: flowData(i)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := t.Context()
			if i%4 == 0 {
				c, cancel := context.WithTimeout(ctx, time.Duration(rand.IntN(2000))*time.Microsecond)
				defer cancel()
				ctx = c
			}
			errs[i] = s.CreateFlow(ctx, recs[i])
		}()
	}
	waitOrFail(t, &wg)
	stored := 0
	for i, r := range recs {
		if errs[i] != nil {
			if i%4 != 0 || !errors.Is(errs[i], context.DeadlineExceeded) {
				t.Errorf("flow %d: %v", i, errs[i])
			}
			continue
		}
		stored++
		if _, err := s.GetFlow(t.Context(), "login", r.ID); err != nil {
			t.Errorf("flow %d reported stored: %v", i, err)
		}
	}
	batches, rows := s.flowBatches()
	t.Logf("%d of %d stored; %d batches of %d rows in all", stored, n, batches, rows)
	s.flowGroup.mu.Lock()
	defer s.flowGroup.mu.Unlock()
	if s.flowGroup.busy || len(s.flowGroup.queue) != 0 {
		t.Errorf("after all writers returned: busy %v, %d queued", s.flowGroup.busy, len(s.flowGroup.queue))
	}
}

// TestFlowGroupCommitBadRowFailsAlone: in a batch, a duplicate id and an identity that does
// not exist fail their own callers only; an argument the driver refuses makes the batch
// fall back to one transaction per row, where it fails alone too.
func TestFlowGroupCommitBadRowFailsAlone(t *testing.T) {
	s := openSQLiteFileTest(t)
	ctx := t.Context()
	taken := &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}
	if err := s.CreateFlow(ctx, taken); err != nil {
		t.Fatal(err)
	}
	ghost := uuid.New()
	rec := func(i int) *store.FlowRecord {
		return &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: flowData(i)}
	}
	good := []*store.FlowRecord{rec(0), rec(1), rec(2), rec(3)}
	dup := rec(4)
	dup.ID = taken.ID
	orphan := rec(5)
	orphan.IdentityID = &ghost

	t.Run("constraints", func(t *testing.T) {
		release := holdWriter(t, s)
		order := []*store.FlowRecord{good[0], good[1], dup, orphan, good[2]}
		errs := make([]error, len(order))
		var wg sync.WaitGroup
		for i, r := range order {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.CreateFlow(ctx, r) }()
			waitQueued(t, s, i) // the first writes alone, the rest queue in order
		}
		b0, _ := s.flowBatches()
		release()
		wg.Wait()
		if b, _ := s.flowBatches(); b != b0+1 {
			t.Errorf("%d batches, want 1", b-b0)
		}
		for i, r := range order {
			switch r {
			case dup:
				if !errors.Is(errs[i], apierr.ErrConflict) {
					t.Errorf("duplicate id: %v, want a conflict", errs[i])
				}
			case orphan:
				if !errors.Is(errs[i], apierr.ErrNotFound) {
					t.Errorf("missing identity: %v, want not found", errs[i])
				}
				if _, err := s.GetFlow(ctx, "settings", r.ID); !errors.Is(err, apierr.ErrNotFound) {
					t.Errorf("the orphan flow was stored: %v", err)
				}
			default:
				if errs[i] != nil {
					t.Errorf("flow %d: %v", i, errs[i])
				}
				if got, err := s.GetFlow(ctx, "settings", r.ID); err != nil || !bytes.Equal(got.Data, r.Data) {
					t.Errorf("flow %d not stored: %v", i, err)
				}
			}
		}
		if got, err := s.GetFlow(ctx, "settings", taken.ID); err != nil || string(got.Data) != `{}` {
			t.Errorf("the flow whose id was taken again changed: %v", err)
		}
	})

	t.Run("fallback", func(t *testing.T) {
		release := holdWriter(t, s)
		g1, g2 := rec(10), rec(11)
		rows := [][]any{s.flowRow(rec(9), s.now()), s.flowRow(g1, s.now()), nil, s.flowRow(g2, s.now())}
		rows[2] = s.flowRow(rec(12), s.now())
		rows[2][4] = struct{}{} // no driver takes this
		errs := make([]error, len(rows))
		var wg sync.WaitGroup
		for i, args := range rows {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.createFlowGrouped(ctx, args) }()
			waitQueued(t, s, i)
		}
		release()
		wg.Wait()
		for i, err := range errs {
			if (err != nil) != (i == 2) {
				t.Errorf("row %d: %v", i, err)
			}
		}
		for _, r := range []*store.FlowRecord{g1, g2} {
			if _, err := s.GetFlow(ctx, "settings", r.ID); err != nil {
				t.Errorf("flow not stored: %v", err)
			}
		}
	})
}

// TestFlowGroupCommitCancelledWaiter: a caller cancelled while queued returns at once with
// its row not written, and the others are written.
func TestFlowGroupCommitCancelledWaiter(t *testing.T) {
	s := openSQLiteFileTest(t)
	ctx := t.Context()
	release := holdWriter(t, s)
	rec := func(i int) *store.FlowRecord {
		return &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: flowData(i)}
	}
	first, gone, last := rec(0), rec(1), rec(2)
	errs := make(chan error, 2)
	go func() { errs <- s.CreateFlow(ctx, first) }()
	waitQueued(t, s, 0)
	cctx, cancel := context.WithCancel(ctx)
	goneErr := make(chan error, 1)
	go func() { goneErr <- s.CreateFlow(cctx, gone) }()
	waitQueued(t, s, 1)
	go func() { errs <- s.CreateFlow(ctx, last) }()
	waitQueued(t, s, 2)
	cancel()
	select {
	case err := <-goneErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled caller waits for the writer")
	}
	waitQueued(t, s, 1)
	release()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*store.FlowRecord{first, last} {
		if _, err := s.GetFlow(ctx, "settings", r.ID); err != nil {
			t.Errorf("flow not stored: %v", err)
		}
	}
	if _, err := s.GetFlow(ctx, "settings", gone.ID); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("the cancelled caller's flow: %v, want not found", err)
	}
}

// TestFlowGroupCommitSurvivesPanic: a flow write that panics (in the driver, say) does not
// leave the queue held. The panic reaches its caller, the rows of its batch that were not
// written are reported failed rather than stored, and the next flow writes go through.
func TestFlowGroupCommitSurvivesPanic(t *testing.T) {
	for _, lone := range []bool{true, false} {
		t.Run(fmt.Sprintf("alone=%v", lone), func(t *testing.T) {
			s := openSQLiteFileTest(t)
			ctx := t.Context()
			// Alone: the first write panics. Batched: the batch's second row does, after its
			// first row ran in the transaction (the first flow insert seen is the lone write
			// that holds the queue).
			var armed sync.Mutex
			seen, at := 0, 1
			if !lone {
				at = 3
			}
			s.record = func(query string, _ []any) {
				armed.Lock()
				defer armed.Unlock()
				if query == s.d.rebind(flowInsertValues) {
					if seen++; seen == at {
						panic("injected driver panic")
					}
				}
			}
			const n = 8
			recs := make([]*store.FlowRecord, n)
			errs := make([]error, n)
			panicked := make([]bool, n)
			var release func()
			if !lone {
				release = holdWriter(t, s)
			}
			var wg sync.WaitGroup
			for i := range n {
				recs[i] = &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: flowData(i)}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { panicked[i] = recover() != nil }()
					errs[i] = s.CreateFlow(ctx, recs[i])
				}()
				if lone {
					waitOrFail(t, &wg) // one at a time: each writes alone
				}
			}
			if !lone {
				waitQueued(t, s, n-1)
				release()
			}
			waitOrFail(t, &wg)
			var sawPanic int
			for i := range n {
				if panicked[i] {
					sawPanic++
					continue
				}
				_, err := s.GetFlow(ctx, "settings", recs[i].ID)
				if errs[i] == nil && err != nil {
					t.Errorf("flow %d reported stored, read: %v", i, err)
				}
			}
			if sawPanic != 1 {
				t.Errorf("%d callers saw the panic, want 1", sawPanic)
			}
			// The queue is free again.
			next := &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: flowData(99)}
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := s.CreateFlow(c, next); err != nil {
				t.Fatalf("a flow after the panic: %v", err)
			}
		})
	}
}

// waitOrFail waits for wg, failing the test when it takes 20 s: a flow write left waiting for
// a queue nobody releases (after a panic, say).
func waitOrFail(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("flow writes still waiting after 20 s: the queue is held")
	}
}
