package courier_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/courier/couriertest"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/testdb"
)

// TestTwoWorkersSendEachMessageOnce runs two workers, each with its own connection pool as two
// instances have, over one database and counts what arrives at the SMTP server: every message
// exactly once.
func TestTwoWorkersSendEachMessageOnce(t *testing.T) {
	backends := map[string]func(t *testing.T) string{
		"sqlite file": func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "db.sqlite") + "?_fk=true"
		},
		"postgres": func(t *testing.T) string {
			return testdb.PostgresSchema(t, testdb.ServerDSN(t, testdb.PostgresEnv))
		},
		"mysql": func(t *testing.T) string {
			return testdb.MySQLDatabase(t, testdb.ServerDSN(t, testdb.MySQLEnv))
		},
	}
	for name, dsn := range backends {
		t.Run(name, func(t *testing.T) {
			const messages = 60
			d := dsn(t)
			box := couriertest.Start(t, couriertest.Options{})
			a := newRig(t, openStore(t, d), box, courier.SMTPOptions{})
			b := newRig(t, openStore(t, d), box, courier.SMTPOptions{})
			for i := range messages {
				a.enqueue(t, fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("%06d", i))
			}
			ctx, cancel := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			for _, r := range []*rig{a, b} {
				r.worker.PullCount, r.worker.PullWait = 3, 10*time.Millisecond
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = r.worker.Run(ctx)
				}()
			}
			box.WaitCount(messages, 60*time.Second)
			// Give a duplicate, if there were one, time to arrive.
			time.Sleep(300 * time.Millisecond)
			cancel()
			wg.Wait()
			seen := map[string]int{}
			for _, m := range box.Mails() {
				seen[m.To[0]]++
			}
			if len(box.Mails()) != messages || len(seen) != messages {
				t.Fatalf("%d mails arrived for %d recipients, want %d each once", len(box.Mails()), len(seen), messages)
			}
			sent, _, err := a.st.ListMessages(t.Context(), store.MessageFilter{Status: store.MessageSent}, store.ListParams{PageSize: 1000})
			if err != nil || len(sent) != messages {
				t.Fatalf("%d messages marked sent, %v", len(sent), err)
			}
		})
	}
}
