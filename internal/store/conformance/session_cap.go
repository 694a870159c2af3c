package conformance

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// liveIDs lists the identity's live sessions (active and not expired), newest first.
func liveIDs(t *testing.T, s store.Store, identityID uuid.UUID) []*session.Session {
	t.Helper()
	active := true
	list, _, err := s.ListSessions(ctx(t), identityID, &active, store.ListParams{PageSize: 1000})
	must(t, err)
	now := time.Now()
	var live []*session.Session
	for _, ss := range list {
		if ss.IsActive(now) {
			live = append(live, ss)
		}
	}
	return live
}

// testSessionCap: a capped create revokes the oldest live sessions past the cap in the same
// step, never the new one (even if its issued_at is older: clocks of two instances differ);
// revoked and expired sessions do not count, and another identity's are not touched.
func testSessionCap(t *testing.T, s store.Store) {
	id := create(t, s, "cap@example.com")
	other := create(t, s, "other-cap@example.com")
	otherSession := createSession(t, s, other, "other-cap", base)
	// An expired one and a revoked one, which the cap must not count.
	expired := newSession(id, "cap-expired", time.Now().Add(-48*time.Hour))
	expired.ExpiresAt = time.Now().Add(-time.Hour)
	must(t, s.CreateSession(ctx(t), expired))
	revokedOne := createSession(t, s, id, "cap-revoked", base.Add(-time.Hour))
	must(t, s.RevokeSession(ctx(t), id.ID, revokedOne.ID))

	var made []*session.Session
	for i := range 5 {
		ss := newSession(id, fmt.Sprintf("cap%d", i), base.Add(time.Duration(i)*time.Minute))
		n, err := s.CreateSessionCapped(ctx(t), ss, 3)
		must(t, err)
		if want := max(0, i+1-3); n != min(want, 1) {
			t.Errorf("session %d revoked %d, want %d", i, n, min(want, 1))
		}
		made = append(made, ss)
	}
	live := liveIDs(t, s, id.ID)
	if len(live) != 3 || live[0].ID != made[4].ID || live[1].ID != made[3].ID || live[2].ID != made[2].ID {
		t.Fatalf("live sessions %v, want the three newest", sessionIDs(live))
	}
	for _, old := range made[:2] {
		got, err := s.GetSession(ctx(t), old.ID)
		must(t, err)
		if got.Active {
			t.Errorf("session %s past the cap is still active", old.ID)
		}
	}
	if got, err := s.GetSession(ctx(t), otherSession.ID); err != nil || !got.Active {
		t.Errorf("another identity's session: %v, %v", got, err)
	}
	// A new session issued "before" the live ones (another instance's clock) stays live; the
	// oldest of the others goes.
	skewed := newSession(id, "cap-skewed", base.Add(-24*time.Hour))
	n, err := s.CreateSessionCapped(ctx(t), skewed, 3)
	must(t, err)
	live = liveIDs(t, s, id.ID)
	if n != 1 || len(live) != 3 || live[2].ID != skewed.ID || live[0].ID != made[4].ID || live[1].ID != made[3].ID {
		t.Fatalf("skewed session: revoked %d, live %v", n, sessionIDs(live))
	}
	// Lowering the cap revokes down to it at the next sign-in; 0 is no cap.
	n, err = s.CreateSessionCapped(ctx(t), newSession(id, "cap-lower", base.Add(time.Hour)), 1)
	must(t, err)
	if n != 3 || len(liveIDs(t, s, id.ID)) != 1 {
		t.Errorf("cap lowered to 1: revoked %d, %d live", n, len(liveIDs(t, s, id.ID)))
	}
	n, err = s.CreateSessionCapped(ctx(t), newSession(id, "cap-none", base.Add(2*time.Hour)), 0)
	must(t, err)
	if n != 0 || len(liveIDs(t, s, id.ID)) != 2 {
		t.Errorf("no cap: revoked %d, %d live", n, len(liveIDs(t, s, id.ID)))
	}
}

// testSessionCapConcurrent: 100 sign-ins of one identity at once under a cap of 5 leave
// exactly 5 live sessions, all of them stored (none lost).
func testSessionCapConcurrent(t *testing.T, s store.Store) {
	id := create(t, s, "cap-race@example.com")
	const n, capN = 100, 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss := newSession(id, fmt.Sprintf("race%d", i), base.Add(time.Duration(i)*time.Second))
			_, errs[i] = s.CreateSessionCapped(ctx(t), ss, capN)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("sign-in %d: %v", i, err)
		}
	}
	all, _, err := s.ListSessions(ctx(t), id.ID, nil, store.ListParams{PageSize: 1000})
	must(t, err)
	if len(all) != n {
		t.Errorf("%d sessions stored, want %d", len(all), n)
	}
	if live := liveIDs(t, s, id.ID); len(live) != capN {
		t.Errorf("%d live sessions after %d concurrent sign-ins, want the cap %d", len(live), n, capN)
	}
}

func sessionIDs(list []*session.Session) []string {
	out := make([]string, len(list))
	for i, ss := range list {
		out[i] = ss.ID.String()
	}
	return out
}
