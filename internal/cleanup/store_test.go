package cleanup_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/cleanup"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/sqlstore"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
)

// TestRunDeletesStoredErrors (issue 11 finding 5a): stored self-service errors, which any
// anonymous request can create, are deleted once older than the retention, on a real store.
func TestRunDeletesStoredErrors(t *testing.T) {
	ctx := context.Background()
	st := sqlstoretest.Memory(t)
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for _, id := range ids {
		if err := st.CreateError(ctx, id, []byte(`{"code":400}`)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := cleanup.Run(ctx, st, time.Now(), cleanup.Default, 2, nil)
	if err != nil || c.Errors != 0 {
		t.Fatalf("fresh errors deleted: %+v, %v", c, err)
	}
	c, err = cleanup.Run(ctx, st, time.Now().Add(cleanup.Default.Errors+time.Minute), cleanup.Default, 2, nil)
	if err != nil || c.Errors != len(ids) {
		t.Fatalf("old errors: %+v, %v; want %d deleted", c, err, len(ids))
	}
	for _, id := range ids {
		if _, err := st.GetError(ctx, id); err == nil {
			t.Fatalf("error %s still stored", id)
		}
	}
}

// TestRunDeletesDeliveredMessages: the courier's sent messages go once older than the
// retention, on a real store; a message still queued stays whatever its age.
func TestRunDeletesDeliveredMessages(t *testing.T) {
	ctx := context.Background()
	st := sqlstoretest.Memory(t)
	now := time.Now()
	for range 3 {
		if err := st.EnqueueMessage(ctx, &store.Message{Type: "email", Channel: "email", Recipient: "a@example.com",
			TemplateType: "credential_changed", Payload: []byte("sealed"), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	claim := uuid.New()
	claimed, err := st.ClaimMessages(ctx, claim, now, time.Minute, 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	for _, m := range claimed {
		if err := st.FinishMessage(ctx, m.ID, claim, now, store.MessageOutcome{Status: store.MessageSent}); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := cleanup.Run(ctx, st, now, cleanup.Default, 10, nil); err != nil || c.Messages != 0 {
		t.Fatalf("fresh messages deleted: %+v, %v", c, err)
	}
	c, err := cleanup.Run(ctx, st, now.Add(cleanup.Default.Messages+time.Minute), cleanup.Default, 1, nil)
	if err != nil || c.Messages != 2 {
		t.Fatalf("old messages: %+v, %v; want the 2 sent ones deleted", c, err)
	}
	left, _, err := st.ListMessages(ctx, store.MessageFilter{}, store.ListParams{})
	if err != nil || len(left) != 1 || left[0].Status != store.MessageQueued {
		t.Fatalf("left %d messages, %v; want the queued one", len(left), err)
	}
}

// TestRunDeletesOldEvents: audit events go once older than their retention, on a real store;
// newer ones stay.
func TestRunDeletesOldEvents(t *testing.T) {
	ctx := context.Background()
	st := sqlstoretest.Memory(t)
	now := time.Now()
	id := uuid.New()
	for _, age := range []time.Duration{3 * time.Hour, 2 * time.Hour, time.Minute} {
		ev := audit.New(audit.SignIn, id, nil)
		ev.Time = now.Add(-age)
		if err := st.RecordEvents(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	keep := cleanup.Default
	keep.Events = time.Hour
	c, err := cleanup.Run(ctx, st, now, keep, 1, nil)
	if err != nil || c.Events != 2 {
		t.Fatalf("old events: %+v, %v; want the 2 older than an hour deleted", c, err)
	}
	left, _, err := st.ListEvents(ctx, id, store.ListParams{})
	if err != nil || len(left) != 1 {
		t.Fatalf("left %d events, %v; want the newest", len(left), err)
	}
}

// TestBatchesIgnoreWaitForWriter: on a SQLite file whose one writer connection another write
// holds for a while, cleanup's first batch waits for it, and that wait is not the batch's own
// time: the next batch keeps its size instead of being halved (before cleanup.NoteHeld,
// cleanup timed the whole call, the wait included, and halved it to 20 rows).
func TestBatchesIgnoreWaitForWriter(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.MigrateUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 100 {
		if err := st.CreateError(ctx, uuid.New(), fmt.Appendf(nil, `{"code":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	var (
		sizes      []int
		last       int
		held       time.Time
		holdErr    error
		firstStart time.Duration
	)
	c, err := cleanup.Run(ctx, st, now.Add(time.Hour), cleanup.Retention{Flows: time.Hour, Sessions: time.Hour, LoginFailures: time.Hour,
		Errors: time.Minute, Messages: time.Hour, Events: time.Hour}, 40, func(table string, deleted int, _ bool) {
		switch table {
		case "login failures":
			// The table before the errors is done: another write takes the writer
			// connection (a transaction open on it) and keeps it for 300 ms, so the first
			// batch of errors waits for it.
			tx, err := st.DB().BeginTx(ctx, nil)
			if err != nil {
				holdErr = err
				return
			}
			held = time.Now()
			go func() {
				time.Sleep(300 * time.Millisecond)
				_ = tx.Rollback()
			}()
		case "self-service errors":
			if len(sizes) == 0 {
				firstStart = time.Since(held)
			}
			sizes = append(sizes, deleted-last)
			last = deleted
		}
	})
	if holdErr != nil {
		t.Fatal(holdErr)
	}
	if err != nil || c.Errors != 100 {
		t.Fatalf("cleanup: %+v, %v", c, err)
	}
	if firstStart < 300*time.Millisecond {
		t.Fatalf("the first batch of errors ended %s after the writer was taken: it did not wait for it, the test shows nothing", firstStart)
	}
	// 100 rows in batches of 40: 40, 40, 20. The first batch waited for the writer.
	if len(sizes) != 3 || sizes[1] != 40 {
		t.Fatalf("batches %v, want [40 40 20]: the wait for the writer shrank the next batch", sizes)
	}
}
