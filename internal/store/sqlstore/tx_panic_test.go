package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/store"
)

// TestPanicInTransactionFreesTheWriter: a transaction whose function panics is rolled back, so
// SQLite's one writer connection comes back and the next write goes through. Before, the
// transaction stayed open on it and every later write of the process waited for good.
func TestPanicInTransactionFreesTheWriter(t *testing.T) {
	s := openSQLiteFileTest(t)
	ctx := t.Context()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not reach the caller")
			}
		}()
		_ = s.inTx(ctx, func(tx q) error {
			if err := s.insertFlow(ctx, tx, &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}, s.now()); err != nil {
				t.Fatal(err)
			}
			panic("injected panic inside a transaction")
		})
	}()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rec := &store.FlowRecord{Kind: "settings", ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{"after":true}`)}
	if err := s.CreateFlow(c, rec); err != nil {
		t.Fatalf("a write after the panic: %v (the writer is still held?)", err)
	}
	if _, err := s.GetFlow(c, "settings", rec.ID); err != nil {
		t.Fatal(err)
	}
}
