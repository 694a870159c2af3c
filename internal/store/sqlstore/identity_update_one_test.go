package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/testdb"
)

// sentQueries is a pgx tracer that keeps every query a connection sends, BEGIN and COMMIT
// included: what the server receives, whatever the store's own bookkeeping says.
type sentQueries struct {
	mu  sync.Mutex
	all []string
}

func (c *sentQueries) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.mu.Lock()
	c.all = append(c.all, d.SQL)
	c.mu.Unlock()
	return ctx
}

func (c *sentQueries) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the queries sent since the last take.
func (c *sentQueries) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.all
	c.all = nil
	return out
}

// TestProfileUpdateIsOneStatement counts the queries PostgreSQL receives for a settings profile
// change (the identity compared with the copy read, a fresh flow, the submitted flow's success
// and an audit event): one, no BEGIN nor COMMIT (issue 13: it was five, each ~0.2 ms of CPU on
// the two sides). A stale copy costs one more, the read that tells a conflict from a deleted
// identity. A change of a child row still runs in a transaction.
func TestProfileUpdateIsOneStatement(t *testing.T) {
	cfg, err := pgx.ParseConfig(testdb.PostgresSchema(t, testdb.ServerDSN(t, testdb.PostgresEnv)))
	if err != nil {
		t.Fatal(err)
	}
	sent := &sentQueries{}
	cfg.Tracer = sent
	db := stdlib.OpenDB(*cfg)
	s := newStore(dialectPostgres, db, db)
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	if err := s.MigrateUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"one@example.com"}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{
			identity.CredentialsPassword: {Identifiers: []string{"one@example.com"}, Config: json.RawMessage(`{"hashed_password":"$2a$04$x"}`)},
		},
		VerifiableAddresses: []identity.VerifiableAddress{{Value: "one@example.com", Via: "email", Status: "pending"}},
		RecoveryAddresses:   []identity.RecoveryAddress{{Value: "one@example.com", Via: "email"}},
	}
	if err := s.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	submitted := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}
	if err := s.CreateFlow(ctx, submitted); err != nil {
		t.Fatal(err)
	}
	// update stores a traits change of the identity as read (stale when given a copy read
	// before another change) and returns the queries it sent.
	update := func(read *identity.Identity, change func(*identity.Identity)) ([]string, error) {
		cur := read.Clone()
		change(cur)
		c := audit.With(ctx, audit.New(audit.IdentityUpdated, id.ID, nil))
		sent.take()
		err := s.UpdateIdentityWith(c, cur, store.IdentityWrites{Stored: read,
			Flows: func(v *identity.Identity) ([]store.FlowWrite, error) {
				return []store.FlowWrite{
					{Record: &store.FlowRecord{Kind: "settings", IdentityID: &v.ID, ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}, Create: true},
					{Record: &store.FlowRecord{ID: submitted.ID, Kind: "settings", IdentityID: &v.ID, ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{"state":"success"}`)}},
				}, nil
			}})
		return sent.take(), err
	}
	read := func() *identity.Identity {
		got, err := s.GetIdentity(ctx, id.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	traits := func(n string) func(*identity.Identity) {
		return func(i *identity.Identity) { i.Traits = json.RawMessage(`{"email":"one@example.com","n":"` + n + `"}`) }
	}

	// The first one also prepares the statement on a connection: a round trip of its own.
	if _, err := update(read(), traits("warm")); err != nil {
		t.Fatal(err)
	}
	got, err := update(read(), traits("counted"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "WITH u AS (UPDATE identities") {
		t.Errorf("a profile update sent %d queries, want 1 (the update with its flows and event):\n%s", len(got), strings.Join(got, "\n---\n"))
	}

	stale := read()
	if _, err := update(read(), traits("first")); err != nil {
		t.Fatal(err)
	}
	got, err = update(stale, traits("stale"))
	if !errors.Is(err, apierr.ErrConflict) {
		t.Fatalf("stale update: %v, want a conflict", err)
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "WITH u AS (") || !strings.HasPrefix(got[1], "SELECT 1 FROM identities") {
		t.Errorf("a stale profile update sent %d queries, want the update and the read of why:\n%s", len(got), strings.Join(got, "\n---\n"))
	}

	// A new recovery address is a child row: the transaction path.
	got, err = update(read(), func(i *identity.Identity) {
		i.RecoveryAddresses = append(i.RecoveryAddresses, identity.RecoveryAddress{ID: uuid.New(), Value: "two@example.com", Via: "email"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 || !strings.HasPrefix(strings.ToLower(got[0]), "begin") || !strings.EqualFold(got[len(got)-1], "commit") {
		t.Errorf("a child row change sent %q, want a transaction", got)
	}
}
