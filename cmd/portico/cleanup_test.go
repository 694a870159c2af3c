package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// seedExpired fills a migrated SQLite file with flows and sessions: expired long ago, expired
// recently and still valid, and returns its DSN.
func seedExpired(t *testing.T, old, recent, valid int) string {
	t.Helper()
	ctx := context.Background()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "portico.db")
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.MigrateUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ident := &identity.Identity{
		SchemaID: "default", State: identity.StateActive, Traits: json.RawMessage(`{"email":"a@example.test"}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{},
	}
	if err := st.CreateIdentity(ctx, ident); err != nil {
		t.Fatal(err)
	}
	add := func(n int, expires time.Time) {
		for range n {
			if err := st.CreateFlow(ctx, &store.FlowRecord{Kind: "login", ExpiresAt: expires, Data: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
			s := &session.Session{
				Active: true, ExpiresAt: expires, AAL: session.AAL1, IdentityID: ident.ID,
				TokenHash: session.HashToken(uuid.NewString()),
			}
			if err := st.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(old, now.Add(-48*time.Hour))
	add(recent, now.Add(-time.Hour))
	add(valid, now.Add(time.Hour))
	return dsn
}

func TestCleanupCommand(t *testing.T) {
	tests := []struct {
		name              string
		args              []string
		wantFlows, wantSs int
		wantOut           []string
	}{
		{"default keeps a grace day", []string{"--batch", "2"}, 5, 5,
			[]string{"flows: 5 deleted", "sessions: 5 deleted", "done: 5 flows and 5 sessions deleted"}},
		{"zero grace deletes every expired row", []string{"--older-than", "0s", "--batch", "100"}, 8, 8,
			[]string{"flows: 8 deleted", "done: 8 flows and 8 sessions deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := seedExpired(t, 5, 3, 2)
			cfg := filepath.Join(t.TempDir(), "portico.yml")
			yml := "dsn: " + dsn + "\nidentity:\n  schemas:\n    - id: default\n      url: file:///schema.json\n"
			if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"-c", cfg}, tt.args...)
			var out bytes.Buffer
			cmd := cleanupCmd()
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(args)
			if err := cmd.ExecuteContext(context.Background()); err != nil {
				t.Fatalf("cleanup: %v\n%s", err, out.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			// A second run finds nothing more to delete.
			out.Reset()
			cmd = cleanupCmd()
			cmd.SetOut(&out)
			cmd.SetArgs(args)
			if err := cmd.ExecuteContext(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "done: 0 flows and 0 sessions deleted") {
				t.Errorf("second run deleted again:\n%s", out.String())
			}
		})
	}
}

// fakeDeleter has a fixed number of expired rows per table.
type fakeDeleter struct {
	flows, sessions int
	fail            error
}

func take(left *int, limit int) int {
	n := min(*left, limit)
	*left -= n
	return n
}

func (f *fakeDeleter) DeleteFlowsExpiredBefore(_ context.Context, _ time.Time, limit int) (int, error) {
	if f.fail != nil {
		return 0, f.fail
	}
	return take(&f.flows, limit), nil
}

func (f *fakeDeleter) DeleteSessionsExpiredBefore(_ context.Context, _ time.Time, limit int) (int, error) {
	return take(&f.sessions, limit), nil
}

func TestRunCleanupProgress(t *testing.T) {
	tests := []struct {
		name         string
		st           *fakeDeleter
		batch        int
		wantF, wantS int
		wantLines    []string
		wantErr      bool
	}{
		{"many batches report progress", &fakeDeleter{flows: 25, sessions: 3}, 1, 25, 3,
			[]string{"flows: 10 deleted so far", "flows: 20 deleted so far", "flows: 25 deleted", "sessions: 3 deleted"}, false},
		{"exact multiple of the batch", &fakeDeleter{flows: 4, sessions: 0}, 2, 4, 0,
			[]string{"flows: 4 deleted", "sessions: 0 deleted"}, false},
		{"a failing store stops with an error", &fakeDeleter{fail: errors.New("boom")}, 10, 0, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			f, s, err := runCleanup(context.Background(), tt.st, time.Now(), tt.batch, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if f != tt.wantF || s != tt.wantS {
				t.Errorf("deleted %d flows, %d sessions; want %d, %d", f, s, tt.wantF, tt.wantS)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(tt.wantLines) > 0 && strings.Join(lines, "|") != strings.Join(tt.wantLines, "|") {
				t.Errorf("progress lines:\n%s\nwant:\n%s", out.String(), strings.Join(tt.wantLines, "\n"))
			}
		})
	}
}
