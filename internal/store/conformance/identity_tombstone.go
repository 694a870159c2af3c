package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/testdb"
)

// afterEveryDeletion is a time after every tombstone a test writes, whatever the store's clock.
var afterEveryDeletion = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// testIdentityTombstone: the first step of a deletion alone (what a deletion interrupted
// halfway leaves) makes the identity gone for every read and write: not found by id,
// identifier or address, in no listing, its sessions unusable and unlisted, its codes and
// flows gone, no update, address write, extension or sign-in for it, a second deletion not
// found; its identifier, addresses and external id are free at once. Then
// PurgeDeletedIdentities (the cleanup) removes its sessions and row, in batches.
func testIdentityTombstone(t *testing.T, s store.Store) {
	a := create(t, s, "tomb@example.com")
	a.ExternalID = "tomb-ext"
	must(t, s.UpdateIdentity(ctx(t), a))
	other := create(t, s, "tomb-bystander@example.com")
	// Three sessions of a, newer than the bystander's two: a page of two of every session
	// must still be full and point to the next.
	var sessions []*session.Session
	for i := range 3 {
		sessions = append(sessions, createSession(t, s, a, fmt.Sprintf("tomb-%d", i), base.Add(time.Hour+time.Duration(i)*time.Minute)))
	}
	kept := []*session.Session{createSession(t, s, other, "tomb-by-0", base), createSession(t, s, other, "tomb-by-1", base.Add(time.Minute))}
	aRef := a.ID
	flow := &store.FlowRecord{Kind: "settings", IdentityID: &aRef, ExpiresAt: base.Add(time.Hour), Data: []byte(`{}`)}
	must(t, s.CreateFlow(ctx(t), flow))
	codeFlowID := codeFlow(t, s, "verification")
	must(t, s.CreateCode(ctx(t), newCode(codeFlowID, "verification", "code", a, "tomb-code")))
	stale, err := s.GetIdentity(ctx(t), a.ID, true)
	must(t, err)

	must(t, s.MarkIdentityDeleted(ctx(t), a.ID))

	_, err = s.GetIdentity(ctx(t), a.ID, false)
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "tomb@example.com")
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.FindByVerifiableAddress(ctx(t), "email", "tomb@example.com")
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.FindByRecoveryAddress(ctx(t), "email", "tomb@example.com")
	wantKind(t, err, apierr.ErrNotFound)
	for _, f := range []store.IdentityFilter{{}, {IDs: []uuid.UUID{a.ID}}, {CredentialsIdentifier: "tomb@example.com"}, {CredentialsIdentifierSimilar: "tomb"}} {
		page, _, err := s.ListIdentities(ctx(t), f, store.ListParams{})
		must(t, err)
		for _, id := range page {
			if id.ID == a.ID {
				t.Errorf("listed with filter %+v after its deletion", f)
			}
		}
	}
	for _, ss := range sessions {
		_, err = s.GetSession(ctx(t), ss.ID)
		wantKind(t, err, apierr.ErrNotFound)
		_, err = s.GetSessionByToken(ctx(t), ss.TokenHash)
		wantKind(t, err, apierr.ErrNotFound)
		if err := s.ExtendSession(ctx(t), ss.ID, base.Add(2*time.Hour), base.Add(48*time.Hour)); err == nil {
			t.Error("a session of a deleted identity was extended")
		}
	}
	mine, _, err := s.ListSessions(ctx(t), a.ID, nil, store.ListParams{})
	must(t, err)
	if len(mine) != 0 {
		t.Errorf("%d sessions listed for the deleted identity", len(mine))
	}
	page, next, err := s.ListSessions(ctx(t), uuid.Nil, nil, store.ListParams{PageSize: 1})
	must(t, err)
	if len(page) != 1 || page[0].ID != kept[1].ID || next == "" {
		t.Errorf("first page of all sessions: %d sessions, next %q; want the bystander's newest and a next page", len(page), next)
	}
	_, err = s.GetFlow(ctx(t), "settings", flow.ID)
	wantKind(t, err, apierr.ErrNotFound)
	_, _, err = s.ReserveCodeAttempt(ctx(t), codeFlowID, "verification", base, 5)
	wantKind(t, err, apierr.ErrNotFound)
	stale.Traits = []byte(`{"email":"tomb@example.com","back":true}`)
	wantKind(t, s.UpdateIdentity(ctx(t), stale), apierr.ErrNotFound)
	wantKind(t, s.MarkAddressVerified(ctx(t), a.ID, "email", "tomb@example.com", base), apierr.ErrNotFound)
	_, err = s.CreateSessionCapped(ctx(t), newSession(a, "tomb-new", base.Add(2*time.Hour)), 10)
	wantKind(t, err, apierr.ErrNotFound)
	wantKind(t, s.MarkIdentityDeleted(ctx(t), a.ID), apierr.ErrNotFound)
	wantKind(t, s.DeleteIdentity(ctx(t), a.ID), apierr.ErrNotFound)

	// Its identifier, addresses and external id are free at once.
	again := newIdentity("tomb@example.com")
	again.ExternalID = "tomb-ext"
	must(t, s.CreateIdentity(ctx(t), again))

	// The cleanup finishes it, two rows a call: three sessions and the row.
	removed := 0
	for range 10 {
		n, err := s.PurgeDeletedIdentities(ctx(t), afterEveryDeletion, 2)
		must(t, err)
		removed += n
		if n < 2 {
			break
		}
	}
	if removed != 4 {
		t.Errorf("the cleanup removed %d rows of the deleted identity, want 4 (3 sessions and the row)", removed)
	}
	if n, err := s.PurgeDeletedIdentities(ctx(t), afterEveryDeletion, 0); err != nil || n != 0 {
		t.Errorf("a second purge removed %d rows (%v), want none", n, err)
	}
	for _, ss := range kept {
		if _, err := s.GetSession(ctx(t), ss.ID); err != nil {
			t.Errorf("the bystander's session: %v", err)
		}
	}
	if _, err := s.GetIdentity(ctx(t), again.ID, false); err != nil {
		t.Errorf("the identity signed up again: %v", err)
	}
}

// testIdentityDeleteGoneAtOnce: while DeleteIdentity removes an identity's 1,000 sessions, 100
// readers read its sessions, the identity and its identifier. The identity is gone before any
// of its sessions is: once a reader has found one of its sessions missing, no read started
// after that finds the identity, its identifier or any of its sessions; and every read started
// after DeleteIdentity returned finds nothing.
func testIdentityDeleteGoneAtOnce(t *testing.T, s store.Store) {
	a := create(t, s, "gone@example.com")
	const n = 1000
	var sessions []*session.Session
	for i := range n {
		sessions = append(sessions, createSession(t, s, a, fmt.Sprintf("gone-%d", i), base.Add(time.Duration(i)*time.Second)))
	}
	var (
		gone     atomic.Bool // a reader found a session missing
		returned atomic.Bool // DeleteIdentity returned
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	var bad testdb.Reports
	report := bad.Add
	for r := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				after, afterReturn := gone.Load(), returned.Load()
				var err error
				what := ""
				switch i % 4 {
				case 0:
					what = "identity"
					_, err = s.GetIdentity(ctx(t), a.ID, false)
				case 1:
					what = "identifier"
					_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "gone@example.com")
				default:
					// The oldest sessions go first; the newest last.
					ss := sessions[(r*37+i*101)%n]
					what = "session " + ss.ID.String()
					_, err = s.GetSessionByToken(ctx(t), ss.TokenHash)
					if errors.Is(err, apierr.ErrNotFound) {
						gone.Store(true)
					}
				}
				switch {
				case err != nil && !errors.Is(err, apierr.ErrNotFound):
					report("%s: %v", what, err)
				case err == nil && afterReturn:
					report("%s found by a read started after DeleteIdentity returned", what)
				case err == nil && after:
					report("%s found by a read started after a session of the identity was gone", what)
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	err := s.DeleteIdentity(ctx(t), a.ID)
	returned.Store(true)
	time.Sleep(20 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	must(t, err)
	bad.Fail(t)
}

// testIdentityDeleteRaces: 120 writers of an identity repeat their writes while the identity
// and its 1,000 sessions are deleted: sign-ins (CreateSessionCapped), identity updates,
// session extensions and step-ups, address verifications. The deletion is one instant: a
// write that starts after a session of the identity was found gone is refused (not found, a
// version conflict, an inactive session), and afterwards no read finds the identity or any
// session of it, and nothing of it is left for the cleanup.
func testIdentityDeleteRaces(t *testing.T, s store.Store) {
	a := create(t, s, "race-del@example.com")
	const n = 1000
	var sessions []*session.Session
	for i := range n {
		sessions = append(sessions, createSession(t, s, a, fmt.Sprintf("race-del-%d", i), base.Add(time.Duration(i)*time.Second)))
	}
	now := base.Add(time.Hour)
	var (
		mu            sync.Mutex
		created       []uuid.UUID
		gone, stopped atomic.Bool
		wg            sync.WaitGroup
	)
	errs := make(chan error, 200)
	// The watcher: the oldest session goes first.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stopped.Load() {
			if _, err := s.GetSession(ctx(t), sessions[0].ID); errors.Is(err, apierr.ErrNotFound) {
				gone.Store(true)
				return
			}
		}
	}()
	for w := range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopped.Load(); i++ {
				after := gone.Load()
				var err error
				switch w % 5 {
				case 0:
					ss := newSession(a, fmt.Sprintf("race-del-new-%d-%d", w, i), now)
					if _, err = s.CreateSessionCapped(ctx(t), ss, 100000); err == nil {
						mu.Lock()
						created = append(created, ss.ID)
						mu.Unlock()
					}
				case 1:
					var cur *identity.Identity
					if cur, err = s.GetIdentity(ctx(t), a.ID, true); err == nil {
						cur.Traits = []byte(fmt.Sprintf(`{"email":"race-del@example.com","n":"%d-%d"}`, w, i))
						err = s.UpdateIdentity(ctx(t), cur)
					}
				case 2:
					err = s.ExtendSession(ctx(t), sessions[n-1-w].ID, now, now.Add(48*time.Hour))
				case 3:
					var cur *session.Session
					if cur, err = s.GetSession(ctx(t), sessions[n-1-w].ID); err == nil {
						cur.AuthenticatedAt = now
						err = s.RecordSessionAuthentication(ctx(t), cur, now)
					}
				default:
					err = s.MarkAddressVerified(ctx(t), a.ID, "email", "race-del@example.com", now)
				}
				switch {
				case err == nil && after:
					errs <- fmt.Errorf("writer %d: a write started after a session of the identity was gone succeeded", w)
					return
				case err != nil && !errors.Is(err, apierr.ErrNotFound) && !errors.Is(err, apierr.ErrConflict) && !errors.Is(err, session.ErrInactive):
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	err := s.DeleteIdentity(ctx(t), a.ID)
	stopped.Store(true)
	wg.Wait()
	close(errs)
	must(t, err)
	for err := range errs {
		t.Error(err)
	}
	_, err = s.GetIdentity(ctx(t), a.ID, false)
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "race-del@example.com")
	wantKind(t, err, apierr.ErrNotFound)
	all := slices.Clone(created)
	for _, ss := range sessions {
		all = append(all, ss.ID)
	}
	for _, id := range all {
		if _, err := s.GetSession(ctx(t), id); !errors.Is(err, apierr.ErrNotFound) {
			t.Errorf("session %s outlived its identity: %v", id, err)
		}
	}
	if n, err := s.PurgeDeletedIdentities(ctx(t), afterEveryDeletion, 0); err != nil || n != 0 {
		t.Errorf("%d rows of the deleted identity left for the cleanup (%v), want none", n, err)
	}
}
