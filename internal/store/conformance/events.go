package conformance

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// events lists every event of identityID, newest first.
func events(t *testing.T, s store.Store, identityID uuid.UUID) []audit.Event {
	t.Helper()
	list, _, err := s.ListEvents(ctx(t), identityID, store.ListParams{PageSize: 1000})
	must(t, err)
	return list
}

func eventTypes(list []audit.Event) []string {
	out := make([]string, 0, len(list))
	for _, ev := range list {
		out = append(out, ev.Type)
	}
	return out
}

// testEventsRecordList: recorded events come back as stored (times in UTC to the microsecond,
// bounded user agent and details), only the identity's, newest first, in pages; an event of no
// identity is stored but listed for none; a malformed page token is a bad request.
func testEventsRecordList(t *testing.T, s store.Store) {
	a, b := uuid.New(), uuid.New()
	sess := uuid.New()
	first := audit.New(audit.SignIn, a, map[string]any{"methods": []string{"password"}, "aal": "aal1"}).WithSession(sess)
	first.Time, first.Address, first.UserAgent = base, "192.0.2.7", strings.Repeat("é", 300)
	must(t, s.RecordEvents(ctx(t), first))
	for i := range 4 {
		ev := audit.New(audit.SignInFailed, a, map[string]any{"method": "password"})
		ev.Time = base.Add(time.Duration(i+1) * time.Minute)
		must(t, s.RecordEvents(ctx(t), ev))
	}
	huge := audit.New(audit.SignInFailed, b, map[string]any{"method": strings.Repeat("x", audit.MaxDetails)})
	unknown := audit.New(audit.SignInFailed, uuid.Nil, nil)
	must(t, s.RecordEvents(ctx(t), huge, unknown))
	// Several events are stored together or not at all: the second of these two has the first's
	// id, so its insert fails and the first must not stay behind.
	lone := audit.New(audit.SignInFailed, b, nil)
	lone.ID = uuid.New()
	if err := s.RecordEvents(ctx(t), lone, lone); err == nil {
		t.Fatal("two events with one id were both stored")
	}
	for _, ev := range events(t, s, b) {
		if ev.ID == lone.ID {
			t.Fatal("the first of two events whose second failed was stored on its own")
		}
	}

	all := events(t, s, a)
	if len(all) != 5 || all[0].Type != audit.SignInFailed || all[4].Type != audit.SignIn {
		t.Fatalf("events of a = %v, want 4 failures then the sign-in", eventTypes(all))
	}
	got := all[4]
	sameTime(t, "time", got.Time, base)
	if got.ID == uuid.Nil {
		t.Error("the event got no id")
	}
	if got.IdentityID == nil || *got.IdentityID != a || got.SessionID == nil || *got.SessionID != sess || got.Address != "192.0.2.7" {
		t.Errorf("event = %+v", got)
	}
	if len(got.UserAgent) > audit.MaxUserAgent || !strings.HasPrefix(got.UserAgent, "éé") || strings.ContainsRune(got.UserAgent, '\uFFFD') {
		t.Errorf("user agent = %q (%d bytes), want it cut to %d bytes on a character", got.UserAgent, len(got.UserAgent), audit.MaxUserAgent)
	}
	var d struct {
		Methods []string `json:"methods"`
		AAL     string   `json:"aal"`
	}
	must(t, json.Unmarshal(got.Details, &d))
	if len(d.Methods) != 1 || d.Methods[0] != "password" || d.AAL != "aal1" {
		t.Errorf("details = %s", got.Details)
	}
	if all[3].SessionID != nil || string(all[3].Details) != `{"method":"password"}` {
		t.Errorf("failure = %+v details %s", all[3], all[3].Details)
	}
	if bl := events(t, s, b); len(bl) != 1 || string(bl[0].Details) != `{"truncated":true}` {
		t.Errorf("events of b = %+v, want one with its oversized details replaced", bl)
	}

	// Pages of two walk the same list.
	var walked []uuid.UUID
	p := store.ListParams{PageSize: 2}
	for range 10 {
		page, next, err := s.ListEvents(ctx(t), a, p)
		must(t, err)
		for _, ev := range page {
			walked = append(walked, ev.ID)
		}
		if next == "" {
			break
		}
		p.PageToken = next
	}
	if len(walked) != len(all) {
		t.Fatalf("paged %d events, want %d", len(walked), len(all))
	}
	for i := range all {
		if walked[i] != all[i].ID {
			t.Fatalf("page order differs at %d", i)
		}
	}
	_, _, err := s.ListEvents(ctx(t), a, store.ListParams{PageToken: "not a token"})
	wantKind(t, err, apierr.ErrBadRequest)

	// Each listing reads only its own page tokens: a page token of the sessions' list is not
	// one of the events' list, nor the other way round.
	owner := create(t, s, "tokens@example.com")
	createSession(t, s, owner, "tokens-1", base)
	createSession(t, s, owner, "tokens-2", base.Add(time.Second))
	_, sessionsNext, err := s.ListSessions(ctx(t), owner.ID, nil, store.ListParams{PageSize: 1})
	must(t, err)
	_, eventsNext, err := s.ListEvents(ctx(t), a, store.ListParams{PageSize: 1})
	must(t, err)
	if sessionsNext == "" || eventsNext == "" {
		t.Fatalf("no next page: sessions %q, events %q", sessionsNext, eventsNext)
	}
	_, _, err = s.ListEvents(ctx(t), a, store.ListParams{PageToken: sessionsNext})
	wantKind(t, err, apierr.ErrBadRequest)
	_, _, err = s.ListSessions(ctx(t), owner.ID, nil, store.ListParams{PageToken: eventsNext})
	wantKind(t, err, apierr.ErrBadRequest)
}

// testEventsWithChange: events carried by a write's context are stored with it and only when
// it commits: not for an update that conflicts, a revocation that finds no session, or a
// revocation of others when there are none; a deleted identity's trail stays.
func testEventsWithChange(t *testing.T, s store.Store) {
	id := create(t, s, "trail@example.com")
	ev := func(typ string) audit.Event { return audit.New(typ, id.ID, map[string]any{"by": audit.ByAdmin}) }

	stale := *id
	changed := *id
	changed.MetadataPublic = json.RawMessage(`{"plan":"pro"}`)
	c := audit.With(ctx(t), ev(audit.IdentityUpdated))
	must(t, s.UpdateIdentity(c, &changed))
	if evs, _ := audit.Pending(c); len(evs) != 0 {
		t.Error("the stored event is still pending on the context")
	}
	// The same context used again stores nothing twice.
	again := changed
	must(t, s.UpdateIdentity(c, &again))
	stale.MetadataPublic = json.RawMessage(`{"plan":"lost"}`)
	wantKind(t, s.UpdateIdentity(audit.With(ctx(t), ev(audit.CredentialChanged)), &stale), apierr.ErrConflict)

	sess := createSession(t, s, id, "trail-1", base)
	wantKind(t, s.RevokeSession(audit.With(ctx(t), ev(audit.SessionRevoked).WithSession(sess.ID)), id.ID, uuid.New()), apierr.ErrNotFound)
	must(t, s.RevokeSession(audit.With(ctx(t), ev(audit.SessionRevoked).WithSession(sess.ID)), id.ID, sess.ID))
	n, err := s.RevokeSessionsExcept(audit.With(ctx(t), ev(audit.SessionRevoked)), id.ID, uuid.Nil)
	if err != nil || n != 0 {
		t.Fatalf("revoke none = %d, %v", n, err)
	}
	createSession(t, s, id, "trail-2", base)
	createSession(t, s, id, "trail-3", base)
	n, err = s.RevokeSessionsExcept(audit.With(ctx(t), ev(audit.SessionRevoked)), id.ID, uuid.Nil)
	if err != nil || n != 2 {
		t.Fatalf("revoke two = %d, %v", n, err)
	}

	after := *id
	after.Credentials = map[identity.CredentialsType]identity.Credentials{}
	for k, v := range changed.Credentials {
		after.Credentials[k] = v
	}
	after.Version = again.Version
	after.Credentials[identity.CredentialsPassword] = identity.Credentials{Identifiers: []string{"trail@example.com"}, Config: json.RawMessage(`{"hashed_password":"$argon2id$y"}`)}
	must(t, s.UpdateIdentityRevokingSessions(audit.With(ctx(t), audit.Changes(&changed, &after, audit.BySelf)...), &after, uuid.Nil))

	wantKind(t, s.DeleteIdentity(audit.With(ctx(t), audit.New(audit.IdentityDeleted, uuid.New(), nil)), uuid.New()), apierr.ErrNotFound)
	must(t, s.DeleteIdentity(audit.With(ctx(t), ev(audit.IdentityDeleted)), id.ID))

	want := []string{audit.IdentityDeleted, audit.CredentialChanged, audit.SessionRevoked, audit.SessionRevoked, audit.IdentityUpdated}
	got := eventTypes(events(t, s, id.ID))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("trail = %v, want %v", got, want)
	}
}

// testEventsConcurrentUpdate: of 100 concurrent updates from the same version, each carrying
// its event, one commits, and the trail holds exactly one event.
func testEventsConcurrentUpdate(t *testing.T, s store.Store) {
	id := create(t, s, "trail-race@example.com")
	won := concurrently(t, 100, func() (bool, error) {
		// Each update gets its own identity: the store fills in the credentials and
		// addresses it is given, so copies sharing one map would race.
		c := *id
		c.Credentials = maps.Clone(id.Credentials)
		c.VerifiableAddresses = slices.Clone(id.VerifiableAddresses)
		c.RecoveryAddresses = slices.Clone(id.RecoveryAddresses)
		c.MetadataPublic = json.RawMessage(`{"plan":"raced"}`)
		err := s.UpdateIdentity(audit.With(ctx(t), audit.New(audit.IdentityUpdated, id.ID, nil)), &c)
		if errors.Is(err, apierr.ErrConflict) {
			return false, nil
		}
		return err == nil, err
	})
	if won != 1 {
		t.Fatalf("%d updates won, want 1", won)
	}
	if got := events(t, s, id.ID); len(got) != 1 {
		t.Fatalf("%d events, want 1", len(got))
	}
}

// testEventsDeleteBefore: retention deletes events older than the cut, in batches.
func testEventsDeleteBefore(t *testing.T, s store.Store) {
	id := uuid.New()
	for i := range 5 {
		ev := audit.New(audit.SignIn, id, nil)
		ev.Time = base.Add(time.Duration(i) * time.Hour)
		must(t, s.RecordEvents(ctx(t), ev))
	}
	n, err := s.DeleteEventsBefore(ctx(t), base.Add(3*time.Hour), 2)
	if err != nil || n != 2 {
		t.Fatalf("first batch = %d, %v", n, err)
	}
	n, err = s.DeleteEventsBefore(ctx(t), base.Add(3*time.Hour), 2)
	if err != nil || n != 1 {
		t.Fatalf("second batch = %d, %v", n, err)
	}
	left := events(t, s, id)
	if len(left) != 2 {
		t.Fatalf("%d events left, want 2", len(left))
	}
	sameTime(t, "oldest kept", left[1].Time, base.Add(3*time.Hour))
}

// testEventsComputedOnce: events a write's context gives through a function (audit.WithFunc)
// are computed once, inside the write's transaction, where what only the write knows (the
// sessions it ended) is set; the event is stored with the revocation.
func testEventsComputedOnce(t *testing.T, s store.Store) {
	id := create(t, s, "once@example.com")
	sess := createSession(t, s, id, "once-1", base)
	calls := 0
	c := audit.WithFunc(ctx(t), func() []audit.Event {
		calls++
		return []audit.Event{audit.New(audit.SessionRevoked, id.ID, map[string]any{"by": audit.BySelf}).WithSession(sess.ID)}
	})
	must(t, s.RevokeSession(c, id.ID, sess.ID))
	if calls != 1 {
		t.Fatalf("the events were computed %d times, want once", calls)
	}
	evs, _, err := s.ListEvents(ctx(t), id.ID, store.ListParams{})
	must(t, err)
	if len(evs) != 1 || evs[0].Type != audit.SessionRevoked {
		t.Fatalf("stored events: %+v", evs)
	}
}
