package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	add(recent, now.Add(-30*time.Minute))
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
		{"default keeps flows an hour and sessions a day", []string{"--batch", "2"}, 5, 5,
			[]string{"flows: 5 deleted", "sessions: 5 deleted", "done: 5 flows, 5 sessions and 0 login-failure counters deleted (and 0 self-service errors, 0 courier messages, 0 audit events)", "audit events: 0 deleted"}},
		{"zero retention deletes every expired row", []string{"--older-than", "0s", "--batch", "100"}, 8, 8,
			[]string{"flows: 8 deleted", "done: 8 flows, 8 sessions and 0 login-failure counters deleted"}},
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
			if !strings.Contains(out.String(), "done: 0 flows, 0 sessions and 0 login-failure counters deleted") {
				t.Errorf("second run deleted again:\n%s", out.String())
			}
		})
	}
}

func TestProgressLines(t *testing.T) {
	var out bytes.Buffer
	p := progressLines(&out)
	for i := 1; i <= 25; i++ {
		p("flows", i, i == 25)
	}
	p("sessions", 3, true)
	want := "flows: 10 deleted so far|flows: 20 deleted so far|flows: 25 deleted|sessions: 3 deleted"
	if got := strings.Join(strings.Split(strings.TrimSpace(out.String()), "\n"), "|"); got != want {
		t.Fatalf("progress lines:\n%s\nwant:\n%s", got, want)
	}
}
