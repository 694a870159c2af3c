package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

func isKind(err, kind error) bool { return errors.Is(err, kind) }

func testSessionCreateGet(t *testing.T, s store.Store) {
	id := create(t, s, "jane@example.com")
	ss := createSession(t, s, id, "tok", base)
	if ss.ID == uuid.Nil {
		t.Fatal("session id not filled in")
	}
	byID, err := s.GetSession(ctx(t), ss.ID)
	must(t, err)
	byToken, err := s.GetSessionByToken(ctx(t), tokenHash("tok"))
	must(t, err)
	for _, got := range []*session.Session{byID, byToken} {
		if got.ID != ss.ID || !got.Active || got.AAL != session.AAL1 || got.IdentityID != id.ID || !bytes.Equal(got.TokenHash, tokenHash("tok")) || got.Version != 1 {
			t.Errorf("session = %+v", got)
		}
		sameTime(t, "issued_at", got.IssuedAt, base)
		sameTime(t, "authenticated_at", got.AuthenticatedAt, base)
		sameTime(t, "expires_at", got.ExpiresAt, base.Add(24*time.Hour))
		if len(got.AuthenticationMethods) != 1 || got.AuthenticationMethods[0].Method != "password" {
			t.Errorf("methods = %+v", got.AuthenticationMethods)
		} else {
			sameTime(t, "completed_at", got.AuthenticationMethods[0].CompletedAt, base)
		}
		if len(got.Devices) != 1 || got.Devices[0].IPAddress != "192.0.2.1" || got.Devices[0].ID == uuid.Nil {
			t.Errorf("devices = %+v", got.Devices)
		}
		if got.Identity == nil || got.Identity.ID != id.ID || string(got.Identity.Traits) != `{"email":"jane@example.com"}` {
			t.Fatalf("identity = %+v", got.Identity)
		}
		pw := got.Identity.Credentials[identity.CredentialsPassword]
		// Loaded with credential configs (the methods need them; replies strip them).
		if len(pw.Identifiers) != 1 || len(pw.Config) == 0 || len(got.Identity.VerifiableAddresses) != 1 {
			t.Errorf("session identity credentials = %+v", got.Identity.Credentials)
		}
	}
	_, err = s.GetSessionByToken(ctx(t), tokenHash("other"))
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.GetSession(ctx(t), uuid.New())
	wantKind(t, err, apierr.ErrNotFound)
	// One token, one session.
	wantKind(t, s.CreateSession(ctx(t), newSession(id, "tok", base)), apierr.ErrConflict)
}

func testSessionRecordAuthentication(t *testing.T, s store.Store) {
	id := create(t, s, "kim@example.com")
	ss := createSession(t, s, id, "tok", base)
	if ss.Version != 1 {
		t.Fatalf("created version = %d", ss.Version)
	}
	now := base.Add(time.Minute)
	stale := *ss
	ss.AAL = session.AAL2
	ss.AuthenticatedAt = now
	ss.AuthenticationMethods = append(ss.AuthenticationMethods, session.AuthenticationMethod{Method: "totp", AAL: session.AAL2, CompletedAt: now})
	// Columns the writer does not own, changed on the copy, must not reach the row.
	ss.Active = false
	ss.ExpiresAt = base.Add(99 * time.Hour)
	ss.Devices = nil
	must(t, s.RecordSessionAuthentication(ctx(t), ss, now))
	if ss.Version != 2 {
		t.Errorf("version after write = %d, want 2", ss.Version)
	}
	got, err := s.GetSession(ctx(t), ss.ID)
	must(t, err)
	if !got.Active || got.AAL != session.AAL2 || len(got.AuthenticationMethods) != 2 || len(got.Devices) != 1 || got.Version != 2 {
		t.Errorf("after record: %+v", got)
	}
	sameTime(t, "authenticated_at", got.AuthenticatedAt, now)
	sameTime(t, "expires_at", got.ExpiresAt, base.Add(24*time.Hour))
	sameTime(t, "issued_at", got.IssuedAt, base)

	// A copy read before that write: refused, nothing lost.
	stale.AuthenticatedAt = now.Add(time.Minute)
	stale.AuthenticationMethods = []session.AuthenticationMethod{{Method: "password", AAL: session.AAL1, CompletedAt: now}}
	wantKind(t, s.RecordSessionAuthentication(ctx(t), &stale, now), apierr.ErrConflict)
	got, err = s.GetSession(ctx(t), ss.ID)
	must(t, err)
	if len(got.AuthenticationMethods) != 2 || got.Version != 2 {
		t.Errorf("a stale write changed the session: %+v", got)
	}

	// Expired at now: refused as inactive, unchanged.
	late := *got
	late.AuthenticatedAt = base.Add(25 * time.Hour)
	err = s.RecordSessionAuthentication(ctx(t), &late, base.Add(24*time.Hour))
	if !session.IsInactive(err) {
		t.Errorf("write on an expired session: %v, want inactive", err)
	}
	// Revoked: refused as inactive, and it stays revoked.
	must(t, s.RevokeSession(ctx(t), id.ID, ss.ID))
	err = s.RecordSessionAuthentication(ctx(t), got, now)
	if !session.IsInactive(err) {
		t.Errorf("write on a revoked session: %v, want inactive", err)
	}
	got, err = s.GetSession(ctx(t), ss.ID)
	must(t, err)
	if got.Active || got.Version != 2 {
		t.Errorf("revoked session written: %+v", got)
	}

	ghost := newSession(id, "ghost", base)
	ghost.ID = uuid.New()
	err = s.RecordSessionAuthentication(ctx(t), ghost, now)
	wantKind(t, err, apierr.ErrNotFound)
	if session.IsInactive(err) {
		t.Error("a session that never existed reported as inactive")
	}
}

func testSessionExtend(t *testing.T, s store.Store) {
	id := create(t, s, "ext@example.com")
	ss := createSession(t, s, id, "tok", base)
	now := base.Add(time.Hour)
	must(t, s.ExtendSession(ctx(t), ss.ID, now, now.Add(24*time.Hour)))
	got, err := s.GetSession(ctx(t), ss.ID)
	must(t, err)
	sameTime(t, "expires_at", got.ExpiresAt, now.Add(24*time.Hour))
	if !got.Active || got.AAL != session.AAL1 || len(got.AuthenticationMethods) != 1 {
		t.Errorf("extend changed more than expires_at: %+v", got)
	}
	// The same value again is no "not found".
	must(t, s.ExtendSession(ctx(t), ss.ID, now, now.Add(24*time.Hour)))

	wantInactive := func(what string, sessionID uuid.UUID, now time.Time, wantExpires time.Time) {
		t.Helper()
		if err := s.ExtendSession(ctx(t), sessionID, now, now.Add(24*time.Hour)); !session.IsInactive(err) {
			t.Errorf("%s: extend = %v, want inactive", what, err)
		}
		got, err := s.GetSession(ctx(t), sessionID)
		must(t, err)
		sameTime(t, what+": expires_at", got.ExpiresAt, wantExpires)
	}
	// Expired: never revived by an extension.
	expired := createSession(t, s, id, "expired", base)
	wantInactive("expired", expired.ID, base.Add(24*time.Hour), base.Add(24*time.Hour))
	// Revoked.
	revoked := createSession(t, s, id, "revoked", base)
	must(t, s.RevokeSession(ctx(t), uuid.Nil, revoked.ID))
	wantInactive("revoked", revoked.ID, now, base.Add(24*time.Hour))
	// Live, but the identity is inactive.
	other := create(t, s, "off@example.com")
	off := createSession(t, s, other, "off", base)
	cur, err := s.GetIdentity(ctx(t), other.ID, true)
	must(t, err)
	cur.State = identity.StateInactive
	must(t, s.UpdateIdentity(ctx(t), cur))
	wantInactive("inactive identity", off.ID, now, base.Add(24*time.Hour))

	err = s.ExtendSession(ctx(t), uuid.New(), now, now.Add(time.Hour))
	wantKind(t, err, apierr.ErrNotFound)
	if session.IsInactive(err) {
		t.Error("a session that never existed reported as inactive")
	}
}

func testSessionList(t *testing.T, s store.Store) {
	a := create(t, s, "a@example.com")
	b := create(t, s, "b@example.com")
	var aIDs []uuid.UUID
	for i := 0; i < 7; i++ {
		// Two sessions share an issued_at so that the id breaks the tie across pages.
		issued := base.Add(time.Duration(i/2*2) * time.Minute)
		ss := createSession(t, s, a, fmt.Sprintf("a%d", i), issued)
		aIDs = append(aIDs, ss.ID)
	}
	inactive := createSession(t, s, b, "b0", base.Add(time.Hour))
	must(t, s.RevokeSession(ctx(t), b.ID, inactive.ID))
	createSession(t, s, b, "b1", base.Add(2*time.Hour))

	var got []*session.Session
	tok, pages := "", 0
	for {
		page, next, err := s.ListSessions(ctx(t), a.ID, nil, store.ListParams{PageSize: 3, PageToken: tok})
		must(t, err)
		pages++
		got = append(got, page...)
		if next == "" || pages > 10 {
			break
		}
		tok = next
	}
	if pages != 3 || len(got) != 7 {
		t.Fatalf("%d pages, %d sessions; want 3 and 7", pages, len(got))
	}
	seen := map[uuid.UUID]bool{}
	for i, ss := range got {
		if seen[ss.ID] {
			t.Errorf("session %s listed twice", ss.ID)
		}
		seen[ss.ID] = true
		if ss.IdentityID != a.ID || ss.Identity == nil || ss.Identity.ID != a.ID ||
			len(ss.Identity.VerifiableAddresses) != 1 || len(ss.Identity.RecoveryAddresses) != 1 {
			t.Errorf("listed session without its identity and addresses: %+v", ss)
		}
		if len(ss.Identity.Credentials) != 0 {
			t.Errorf("listed session's identity carries credentials (no list shows them): %v", ss.Identity.Credentials)
		}
		if i > 0 {
			prev := got[i-1]
			if ss.IssuedAt.After(prev.IssuedAt) || (ss.IssuedAt.Equal(prev.IssuedAt) && ss.ID.String() > prev.ID.String()) {
				t.Errorf("sessions not newest first at %d", i)
			}
		}
	}

	all, _, err := s.ListSessions(ctx(t), uuid.Nil, nil, store.ListParams{})
	must(t, err)
	if len(all) != 9 || all[0].IdentityID != b.ID {
		t.Errorf("listing every session: %d, first of %s", len(all), all[0].IdentityID)
	}
	f := false
	off, _, err := s.ListSessions(ctx(t), uuid.Nil, &f, store.ListParams{})
	must(t, err)
	if len(off) != 1 || off[0].ID != inactive.ID {
		t.Errorf("inactive sessions = %v", off)
	}
	tr := true
	on, _, err := s.ListSessions(ctx(t), b.ID, &tr, store.ListParams{})
	must(t, err)
	if len(on) != 1 || !on[0].Active {
		t.Errorf("active sessions of b = %v", on)
	}
	none, next, err := s.ListSessions(ctx(t), uuid.New(), nil, store.ListParams{})
	must(t, err)
	if none == nil || len(none) != 0 || next != "" {
		t.Errorf("sessions of nobody = %#v %q", none, next)
	}
	_, _, err = s.ListSessions(ctx(t), uuid.Nil, nil, store.ListParams{PageToken: "%%%"})
	wantKind(t, err, apierr.ErrBadRequest)
}

func testSessionRevoke(t *testing.T, s store.Store) {
	a := create(t, s, "lee@example.com")
	b := create(t, s, "max@example.com")
	s1 := createSession(t, s, a, "1", base)
	s2 := createSession(t, s, a, "2", base)
	s3 := createSession(t, s, a, "3", base)
	s4 := createSession(t, s, a, "4", base)
	other := createSession(t, s, b, "5", base)

	wantKind(t, s.RevokeSession(ctx(t), b.ID, s1.ID), apierr.ErrNotFound)
	wantKind(t, s.RevokeSession(ctx(t), uuid.Nil, uuid.New()), apierr.ErrNotFound)
	must(t, s.RevokeSession(ctx(t), a.ID, s1.ID))
	must(t, s.RevokeSession(ctx(t), uuid.Nil, s1.ID)) // revoking twice is fine
	got, err := s.GetSession(ctx(t), s1.ID)
	must(t, err)
	if got.Active {
		t.Error("revoked session still active")
	}

	n, err := s.RevokeSessionsExcept(ctx(t), a.ID, s2.ID)
	must(t, err)
	if n != 2 {
		t.Errorf("revoked %d sessions, want 2 (s3, s4)", n)
	}
	for _, c := range []struct {
		ss     *session.Session
		active bool
	}{{s2, true}, {s3, false}, {s4, false}, {other, true}} {
		got, err := s.GetSession(ctx(t), c.ss.ID)
		must(t, err)
		if got.Active != c.active {
			t.Errorf("session active = %v, want %v", got.Active, c.active)
		}
	}
	n, err = s.RevokeSessionsExcept(ctx(t), a.ID, s2.ID)
	must(t, err)
	if n != 0 {
		t.Errorf("second revoke revoked %d", n)
	}
}

func testSessionDeleteExpired(t *testing.T, s store.Store) {
	id := create(t, s, "ned@example.com")
	for i := 0; i < 5; i++ {
		ss := newSession(id, fmt.Sprintf("old%d", i), base.Add(-48*time.Hour))
		ss.ExpiresAt = base.Add(-time.Duration(i+1) * time.Hour)
		must(t, s.CreateSession(ctx(t), ss))
	}
	fresh := createSession(t, s, id, "fresh", base)
	n, err := s.DeleteSessionsExpiredBefore(ctx(t), base, 3)
	must(t, err)
	if n != 3 {
		t.Errorf("deleted %d, want 3 (limit)", n)
	}
	n, err = s.DeleteSessionsExpiredBefore(ctx(t), base, 100)
	must(t, err)
	if n != 2 {
		t.Errorf("deleted %d, want the 2 left", n)
	}
	if _, err := s.GetSession(ctx(t), fresh.ID); err != nil {
		t.Errorf("unexpired session deleted: %v", err)
	}
}

func testSessionConcurrentCreate(t *testing.T, s store.Store) {
	id := create(t, s, "oz@example.com")
	const n = 16
	errs := inParallel(n, func(i int) error {
		ss := newSession(id, fmt.Sprintf("c%d", i), base)
		if err := s.CreateSession(ctx(t), ss); err != nil {
			return err
		}
		_, err := s.GetSessionByToken(ctx(t), ss.TokenHash)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("session %d: %v", i, err)
		}
	}
	all, _, err := s.ListSessions(ctx(t), id.ID, nil, store.ListParams{})
	must(t, err)
	if len(all) != n {
		t.Errorf("%d sessions, want %d", len(all), n)
	}
}
