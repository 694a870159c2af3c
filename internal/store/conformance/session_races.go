package conformance

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// raceWriters is how many writers race one revocation: each holds a copy of the session read
// before the revocation, the way a request that loaded the session goes on to write it.
const raceWriters = 100

// sessionWriter is one store call that writes a session after reading it.
type sessionWriter struct {
	name  string
	write func(t *testing.T, s store.Store, read *session.Session, now time.Time) error
}

var sessionWriters = []sessionWriter{
	{"RecordSessionAuthentication", func(t *testing.T, s store.Store, read *session.Session, now time.Time) error {
		c := *read
		c.AuthenticatedAt = now
		c.AAL = session.AAL2
		c.AuthenticationMethods = append(append([]session.AuthenticationMethod(nil), read.AuthenticationMethods...),
			session.AuthenticationMethod{Method: "totp", AAL: session.AAL2, CompletedAt: now})
		return s.RecordSessionAuthentication(ctx(t), &c, now)
	}},
	{"ExtendSession", func(t *testing.T, s store.Store, read *session.Session, now time.Time) error {
		return s.ExtendSession(ctx(t), read.ID, now, now.Add(48*time.Hour))
	}},
}

// sessionRevoker ends the session one way; gone reports whether the row is deleted rather
// than deactivated.
type sessionRevoker struct {
	name   string
	gone   bool
	revoke func(t *testing.T, s store.Store, id *identity.Identity, ss *session.Session) error
}

var sessionRevokers = []sessionRevoker{
	{"RevokeSession", false, func(t *testing.T, s store.Store, id *identity.Identity, ss *session.Session) error {
		return s.RevokeSession(ctx(t), id.ID, ss.ID)
	}},
	{"RevokeSessionsExcept", false, func(t *testing.T, s store.Store, id *identity.Identity, ss *session.Session) error {
		_, err := s.RevokeSessionsExcept(ctx(t), id.ID, uuid.Nil)
		return err
	}},
	{"UpdateIdentityRevokingSessions", false, func(t *testing.T, s store.Store, id *identity.Identity, ss *session.Session) error {
		cur, err := s.GetIdentity(ctx(t), id.ID, true)
		if err != nil {
			return err
		}
		cur.MetadataPublic = []byte(`{"plan":"paid"}`)
		return s.UpdateIdentityRevokingSessions(ctx(t), cur, uuid.Nil)
	}},
	{"DeleteIdentity", true, func(t *testing.T, s store.Store, id *identity.Identity, ss *session.Session) error {
		return s.DeleteIdentity(ctx(t), id.ID)
	}},
}

// testSessionWritersNeverRevive races every session writer against every way of ending a
// session: raceWriters writers, all holding the session as read before the revocation, start
// together with the revocation. Whatever the interleaving, the session must end revoked (or
// deleted), and every writer either landed before the revocation or was refused with a
// not-found (inactive) or conflict error: never another failure, never a revival.
func testSessionWritersNeverRevive(t *testing.T, s store.Store) {
	for _, w := range sessionWriters {
		for _, r := range sessionRevokers {
			t.Run(w.name+"/"+r.name, func(t *testing.T) {
				raceWriterAgainstRevoker(t, s, w, r)
			})
		}
	}
}

func raceWriterAgainstRevoker(t *testing.T, s store.Store, w sessionWriter, r sessionRevoker) {
	id := create(t, s, fmt.Sprintf("race-%s@example.com", uuid.NewString()[:8]))
	ss := createSession(t, s, id, "race-"+uuid.NewString(), base)
	read, err := s.GetSession(ctx(t), ss.ID)
	must(t, err)
	now := base.Add(time.Minute)

	start := make(chan struct{})
	errs := make([]error, raceWriters)
	var revokeErr error
	var wg sync.WaitGroup
	for i := range raceWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = w.write(t, s, read, now)
		}()
		if i == raceWriters/2 {
			// The revocation starts among the writers, not before or after all of them.
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				revokeErr = r.revoke(t, s, id, ss)
			}()
		}
	}
	close(start)
	wg.Wait()
	must(t, revokeErr)

	for i, err := range errs {
		if err != nil && !errors.Is(err, apierr.ErrNotFound) && !errors.Is(err, apierr.ErrConflict) {
			t.Errorf("writer %d: %v (want success, not found or conflict)", i, err)
		}
	}
	got, err := s.GetSession(ctx(t), ss.ID)
	if r.gone {
		wantKind(t, err, apierr.ErrNotFound)
		return
	}
	must(t, err)
	if got.Active {
		t.Fatalf("%s raced with %s: the revoked session is active again", w.name, r.name)
	}
	// And no writer that comes later can change that.
	if err := w.write(t, s, got, now); !session.IsInactive(err) {
		t.Errorf("write after the revocation = %v, want inactive", err)
	}
	if got, err := s.GetSession(ctx(t), ss.ID); err != nil || got.Active {
		t.Fatalf("after a late write: active=%v, %v", got != nil && got.Active, err)
	}
}

// testSessionRecordNoLostUpdate has raceWriters requests each record their own method on one
// session at once, each re-reading and retrying when the store says another got there first
// (as session.Manager does): every method must be stored, none overwritten.
func testSessionRecordNoLostUpdate(t *testing.T, s store.Store) {
	id := create(t, s, "many@example.com")
	ss := createSession(t, s, id, "many", base)
	now := base.Add(time.Minute)
	errs := inParallel(raceWriters, func(i int) error {
		for {
			cur, err := s.GetSession(ctx(t), ss.ID)
			if err != nil {
				return err
			}
			cur.AuthenticationMethods = append(cur.AuthenticationMethods,
				session.AuthenticationMethod{Method: fmt.Sprintf("m%d", i), AAL: session.AAL2, CompletedAt: now})
			err = s.RecordSessionAuthentication(ctx(t), cur, now)
			if !errors.Is(err, apierr.ErrConflict) {
				return err
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, err := s.GetSession(ctx(t), ss.ID)
	must(t, err)
	seen := map[string]bool{}
	for _, m := range got.AuthenticationMethods {
		seen[m.Method] = true
	}
	for i := range raceWriters {
		if !seen[fmt.Sprintf("m%d", i)] {
			t.Errorf("method m%d lost (%d methods stored)", i, len(got.AuthenticationMethods))
		}
	}
	if got.Version != raceWriters+1 {
		t.Errorf("version = %d, want %d", got.Version, raceWriters+1)
	}
}
