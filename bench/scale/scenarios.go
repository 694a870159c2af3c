package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/cleanup"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

type scenario struct {
	name string
	op   func(ctx context.Context, d *db, i int) error
}

// pick spreads i over n choices without a shared random source.
func pick(i, n int) int { return int(uint64(i) * 2654435761 % uint64(n)) }

var scenarios = []scenario{
	{"whoami (session by token)", func(ctx context.Context, d *db, i int) error {
		h := sha256.Sum256([]byte(d.ds.tokens[pick(i, len(d.ds.tokens))]))
		_, err := d.st.GetSessionByToken(ctx, h[:])
		return err
	}},
	{"whoami, 1,000 people active", func(ctx context.Context, d *db, i int) error {
		// The same working set on both databases: the first 1,000 tokens (about as many
		// identities), so what differs is the size of the file or tables, not how many
		// identities the relation cache would have to hold.
		h := sha256.Sum256([]byte(d.ds.tokens[pick(i, min(1000, len(d.ds.tokens)))]))
		_, err := d.st.GetSessionByToken(ctx, h[:])
		return err
	}},
	{"settings flow creation (session read, flow insert, trim)", func(ctx context.Context, d *db, i int) error {
		h := sha256.Sum256([]byte(d.ds.tokens[pick(i, len(d.ds.tokens))]))
		s, err := d.st.GetSessionByToken(ctx, h[:])
		if err != nil {
			return err
		}
		id := s.IdentityID
		f := &store.FlowRecord{ID: uuid.New(), Kind: settings.Kind, IdentityID: &id, ExpiresAt: time.Now().Add(time.Hour), Data: flowData}
		if err := d.st.CreateFlow(ctx, f); err != nil {
			return err
		}
		_, err = d.st.TrimFlows(ctx, settings.Kind, id, f.ID, settings.MaxFlowsPerIdentity, settings.MaxFlowsPerIdentity-16)
		return err
	}},
	{"login (identity by identifier)", func(ctx context.Context, d *db, i int) error {
		_, err := d.st.FindByCredentialsIdentifier(ctx, identity.CredentialsPassword, emailOf(pick(i, len(d.ds.ids))))
		return err
	}},
	{"settings read (identity by id)", func(ctx context.Context, d *db, i int) error {
		_, err := d.st.GetIdentity(ctx, d.ds.ids[pick(i, len(d.ds.ids))], true)
		return err
	}},
	{"admin identities, page 1 of 250", func(ctx context.Context, d *db, _ int) error {
		_, _, err := d.st.ListIdentities(ctx, store.IdentityFilter{}, store.ListParams{PageSize: 250})
		return err
	}},
	{"admin identities, a deep page of 250", func(ctx context.Context, d *db, i int) error {
		after := d.ds.ids[pick(i, len(d.ds.ids))]
		tok := base64.RawURLEncoding.EncodeToString([]byte(after.String()))
		_, _, err := d.st.ListIdentities(ctx, store.IdentityFilter{}, store.ListParams{PageSize: 250, PageToken: tok})
		return err
	}},
	{"admin identities by identifier", func(ctx context.Context, d *db, i int) error {
		_, _, err := d.st.ListIdentities(ctx, store.IdentityFilter{CredentialsIdentifier: emailOf(pick(i, len(d.ds.ids)))}, store.ListParams{})
		return err
	}},
	{"an identity's sessions, page of 250", func(ctx context.Context, d *db, _ int) error {
		_, _, err := d.st.ListSessions(ctx, d.ds.big, nil, store.ListParams{PageSize: 250})
		return err
	}},
	{"admin sessions, page 1 of 250", func(ctx context.Context, d *db, _ int) error {
		_, _, err := d.st.ListSessions(ctx, uuid.Nil, nil, store.ListParams{PageSize: 250})
		return err
	}},
	{"admin sessions, a deep page of 250", func(ctx context.Context, d *db, i int) error {
		// A page token at a time up to 30 days back, where the builders' sessions were issued:
		// a page from the middle of the newest-first list.
		at := time.Now().Add(-time.Duration(pick(i, 30*24*3600)) * time.Second)
		tok := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d_%s", at.UnixMicro(), uuid.Max))
		_, _, err := d.st.ListSessions(ctx, uuid.Nil, nil, store.ListParams{PageSize: 250, PageToken: tok})
		return err
	}},
	{"session extend (a write)", func(ctx context.Context, d *db, i int) error {
		h := sha256.Sum256([]byte(d.ds.tokens[pick(i, len(d.ds.tokens))]))
		s, err := d.st.GetSessionByToken(ctx, h[:])
		if err != nil {
			return err
		}
		now := time.Now()
		if err := d.st.ExtendSession(ctx, s.ID, now, now.Add(time.Duration(20+i%3)*time.Hour)); err != nil {
			return fmt.Errorf("extend: %w", err)
		}
		return nil
	}},
}

// flowData stands for a settings flow's JSON: about the 4 KB a password identity's flow
// takes (traits, UI nodes, messages).
var flowData = []byte(`{"ui":{"nodes":[` + strings.Repeat(`{"type":"input","group":"password","attributes":{"name":"password","type":"password"}},`, 48) + `{}]}}`)

// timedCleanup runs the production cleanup of expired rows for at most d and returns the
// flows and sessions it deleted (flows go first: on a database with expired flows a short
// cleanup may delete no session) and the time it took.
func timedCleanup(ctx context.Context, st *sqlstore.Store, d time.Duration) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	c, err := cleanup.Run(ctx, st, time.Now(), cleanup.Retention{Flows: time.Hour, Sessions: time.Hour, LoginFailures: time.Hour, Errors: time.Hour, Messages: time.Hour}, 500, nil)
	if err != nil && ctx.Err() == nil {
		return 0, 0, err
	}
	return c.Flows + c.Sessions, time.Since(start), nil
}
