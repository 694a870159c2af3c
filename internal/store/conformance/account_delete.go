package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// accountNotice is a notice queued with an account's deletion.
func accountNotice(to string) *store.Message {
	return &store.Message{Type: "email", Channel: "email", Recipient: to, TemplateType: "account_deleted",
		Payload: []byte("sealed:" + to), CreatedAt: base}
}

// testAccountDelete: an identity deleting itself through a live session of its own loses
// everything it held (sessions, flows, codes, also a code sent to its address by a flow that
// names no identity) and its notice is queued, in one step; a revoked or expired session, or
// another identity's, deletes nothing; another identity's rows stay.
func testAccountDelete(t *testing.T, s store.Store) {
	a := create(t, s, "gina@example.com")
	b := create(t, s, "hal@example.com")
	live := createSession(t, s, a, "tok-gina-1", base)
	revoked := createSession(t, s, a, "tok-gina-2", base)
	other := createSession(t, s, b, "tok-hal", base)
	must(t, s.RevokeSession(ctx(t), a.ID, revoked.ID))
	aID, bID := a.ID, b.ID
	flowA := &store.FlowRecord{Kind: "settings", IdentityID: &aID, ExpiresAt: base.Add(time.Hour), Data: []byte(`{}`)}
	flowB := &store.FlowRecord{Kind: "settings", IdentityID: &bID, ExpiresAt: base.Add(time.Hour), Data: []byte(`{}`)}
	must(t, s.CreateFlow(ctx(t), flowA))
	must(t, s.CreateFlow(ctx(t), flowB))
	// A verification code sent to a's address by a flow that names nobody, and one to someone else.
	addrFlow := codeFlow(t, s, "verification")
	c := newCode(addrFlow, "verification", "code", nil, "hash-a")
	c.Address = "gina@example.com"
	must(t, s.CreateCode(ctx(t), c))
	otherFlow := codeFlow(t, s, "verification")
	must(t, s.CreateCode(ctx(t), newCode(otherFlow, "verification", "code", nil, "hash-b")))

	now := base.Add(time.Minute)
	// The audit event the deletion carries is written with it, and only with it.
	withEvent := func() context.Context {
		return audit.With(ctx(t), audit.New(audit.IdentityDeleted, a.ID, map[string]any{"by": audit.BySelf}).WithSession(live.ID))
	}
	for name, sid := range map[string]uuid.UUID{"revoked": revoked.ID, "another identity's": other.ID, "unknown": uuid.New()} {
		if err := s.DeleteAccount(withEvent(), a.ID, sid, now, []*store.Message{accountNotice("gina@example.com")}); !errors.Is(err, session.ErrInactive) {
			t.Fatalf("a %s session: %v, want inactive", name, err)
		}
	}
	if err := s.DeleteAccount(ctx(t), a.ID, live.ID, base.Add(25*time.Hour), nil); !errors.Is(err, session.ErrInactive) {
		t.Fatalf("an expired session: %v, want inactive", err)
	}
	if _, err := s.GetIdentity(ctx(t), a.ID, true); err != nil {
		t.Fatalf("a refused deletion changed the identity: %v", err)
	}
	if list, _, err := s.ListMessages(ctx(t), store.MessageFilter{Recipient: "gina@example.com"}, store.ListParams{}); err != nil || len(list) != 0 {
		t.Fatalf("a refused deletion queued %d notices (%v)", len(list), err)
	}
	if evs, _, err := s.ListEvents(ctx(t), a.ID, store.ListParams{}); err != nil || len(evs) != 0 {
		t.Fatalf("a refused deletion recorded %d events (%v)", len(evs), err)
	}

	notice := accountNotice("gina@example.com")
	must(t, s.DeleteAccount(withEvent(), a.ID, live.ID, now, []*store.Message{notice}))
	evs, _, err := s.ListEvents(ctx(t), a.ID, store.ListParams{})
	if err != nil || len(evs) != 1 || evs[0].Type != audit.IdentityDeleted || evs[0].SessionID == nil || *evs[0].SessionID != live.ID {
		t.Fatalf("events after the deletion: %+v (%v)", evs, err)
	}
	_, err = s.GetIdentity(ctx(t), a.ID, false)
	wantKind(t, err, apierr.ErrNotFound)
	for _, id := range []uuid.UUID{live.ID, revoked.ID} {
		_, err = s.GetSession(ctx(t), id)
		wantKind(t, err, apierr.ErrNotFound)
	}
	_, err = s.GetFlow(ctx(t), "settings", flowA.ID)
	wantKind(t, err, apierr.ErrNotFound)
	_, _, err = s.ReserveCodeAttempt(ctx(t), addrFlow, "verification", now, 5)
	wantKind(t, err, apierr.ErrNotFound)
	got, err := s.GetMessage(ctx(t), notice.ID)
	must(t, err)
	if got.Recipient != "gina@example.com" || got.TemplateType != "account_deleted" || got.Status != store.MessageQueued {
		t.Fatalf("notice = %+v", got)
	}
	// Another identity keeps everything.
	_, err = s.GetSession(ctx(t), other.ID)
	must(t, err)
	_, err = s.GetFlow(ctx(t), "settings", flowB.ID)
	must(t, err)
	_, _, err = s.ReserveCodeAttempt(ctx(t), otherFlow, "verification", now, 5)
	must(t, err)
	// The identifiers and addresses went too: the address can sign up again.
	create(t, s, "gina@example.com")
	wantKind(t, s.DeleteAccount(ctx(t), a.ID, live.ID, now, nil), apierr.ErrNotFound)
}

// testAccountDeleteConcurrent: a deletion racing 120 writes for the same identity (sign-ins,
// identity updates, new flows, a step-up of the deleting session) leaves no half state: each
// write either landed before the deletion and went with it, or was refused as not found (or
// lost an ordinary version race); afterwards nothing of the identity is left.
func testAccountDeleteConcurrent(t *testing.T, s store.Store) {
	a := create(t, s, "ivy@example.com")
	del := createSession(t, s, a, "tok-ivy", base)
	now := base.Add(time.Minute)
	var (
		mu       sync.Mutex
		sessions []uuid.UUID
		flows    []uuid.UUID
		wg       sync.WaitGroup
	)
	errs := make(chan error, 121)
	start := make(chan struct{})
	acceptable := func(err error) bool {
		return err == nil || errors.Is(err, apierr.ErrNotFound) || errors.Is(err, apierr.ErrConflict)
	}
	for i := range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			switch i % 4 {
			case 0:
				ss := newSession(a, fmt.Sprintf("tok-ivy-race-%d", i), base)
				if _, err = s.CreateSessionCapped(ctx(t), ss, 100); err == nil {
					mu.Lock()
					sessions = append(sessions, ss.ID)
					mu.Unlock()
				}
			case 1:
				var cur *identity.Identity
				if cur, err = s.GetIdentity(ctx(t), a.ID, true); err == nil {
					cur.Traits = json.RawMessage(fmt.Sprintf(`{"email":"ivy@example.com","n":%d}`, i))
					err = s.UpdateIdentity(ctx(t), cur)
				}
			case 2:
				id := a.ID
				f := &store.FlowRecord{Kind: "settings", IdentityID: &id, ExpiresAt: base.Add(time.Hour), Data: []byte(`{}`)}
				if err = s.CreateFlow(ctx(t), f); err == nil {
					mu.Lock()
					flows = append(flows, f.ID)
					mu.Unlock()
				}
			default:
				var cur *session.Session
				if cur, err = s.GetSession(ctx(t), del.ID); err == nil {
					cur.AuthenticatedAt = now
					err = s.RecordSessionAuthentication(ctx(t), cur, now)
				}
			}
			if !acceptable(err) {
				errs <- fmt.Errorf("write %d: %w", i, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		if err := s.DeleteAccount(ctx(t), a.ID, del.ID, now, []*store.Message{accountNotice("ivy@example.com")}); err != nil {
			errs <- fmt.Errorf("delete: %w", err)
		}
	}()
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, err := s.GetIdentity(ctx(t), a.ID, false)
	wantKind(t, err, apierr.ErrNotFound)
	for _, id := range append(sessions, del.ID) {
		if _, err := s.GetSession(ctx(t), id); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("session %s outlived its identity: %v", id, err)
		}
	}
	for _, id := range flows {
		if _, err := s.GetFlow(ctx(t), "settings", id); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("flow %s outlived its identity: %v", id, err)
		}
	}
	left, _, err := s.ListSessions(ctx(t), a.ID, nil, store.ListParams{PageSize: 500})
	must(t, err)
	if len(left) != 0 {
		t.Errorf("%d sessions of the deleted identity left", len(left))
	}
	if _, err := s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "ivy@example.com"); !errors.Is(err, apierr.ErrNotFound) {
		t.Errorf("the identifier outlived its identity: %v", err)
	}
}
