package conformance

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

func testIdentityCreateGet(t *testing.T, s store.Store) {
	changed := base.Add(-time.Hour)
	verifiedAt := base.Add(-2 * time.Hour)
	id := newIdentity("alice@example.com")
	id.CreatedAt = base
	id.StateChangedAt = &changed
	id.MetadataAdmin = json.RawMessage(`{"note":"vip"}`)
	id.Credentials[identity.CredentialsTOTP] = identity.Credentials{Config: json.RawMessage(`{"totp_url":"otpauth://x"}`), Version: 1}
	id.Credentials[identity.CredentialsPassword] = identity.Credentials{
		Identifiers: []string{"alice@example.com", "alice", "alice"}, // duplicates collapse
		Config:      json.RawMessage(`{"hashed_password":"h"}`),
	}
	id.VerifiableAddresses = []identity.VerifiableAddress{
		{Value: "b@example.com", Via: "email", Status: "completed", Verified: true, VerifiedAt: &verifiedAt},
		{Value: "alice@example.com", Via: "email", Status: "pending"},
	}
	must(t, s.CreateIdentity(ctx(t), id))
	if id.ID == uuid.Nil || id.Version != 1 || id.State != identity.StateActive {
		t.Fatalf("create did not fill id/version/state: %+v", id)
	}
	sameTime(t, "returned created_at", id.CreatedAt, base)

	for _, withCreds := range []bool{false, true} {
		got, err := s.GetIdentity(ctx(t), id.ID, withCreds)
		must(t, err)
		if got.ID != id.ID || got.SchemaID != "default" || got.State != identity.StateActive || got.Version != 1 {
			t.Fatalf("got %+v", got)
		}
		if string(got.Traits) != `{"email":"alice@example.com"}` || string(got.MetadataPublic) != `{"plan":"free"}` || string(got.MetadataAdmin) != `{"note":"vip"}` {
			t.Errorf("documents = %s %s %s", got.Traits, got.MetadataPublic, got.MetadataAdmin)
		}
		sameTime(t, "created_at", got.CreatedAt, base)
		sameTime(t, "updated_at", got.UpdatedAt, base)
		if got.StateChangedAt == nil {
			t.Fatal("state_changed_at lost")
		}
		sameTime(t, "state_changed_at", *got.StateChangedAt, changed)
		if len(got.Credentials) != 2 {
			t.Fatalf("credentials = %v", got.Credentials)
		}
		pw := got.Credentials[identity.CredentialsPassword]
		if strings.Join(pw.Identifiers, ",") != "alice@example.com,alice" || pw.Type != identity.CredentialsPassword {
			t.Errorf("password identifiers = %v", pw.Identifiers)
		}
		totp := got.Credentials[identity.CredentialsTOTP]
		if totp.Identifiers == nil || len(totp.Identifiers) != 0 || totp.Version != 1 {
			t.Errorf("totp = %+v", totp)
		}
		if withCreds != (len(pw.Config) > 0) || withCreds != (len(totp.Config) > 0) {
			t.Errorf("withCredentials=%v but configs %q %q", withCreds, pw.Config, totp.Config)
		}
		if withCreds && string(pw.Config) != `{"hashed_password":"h"}` {
			t.Errorf("config = %s", pw.Config)
		}
		va := got.VerifiableAddresses
		if len(va) != 2 || va[0].Value != "alice@example.com" || va[1].Value != "b@example.com" {
			t.Fatalf("verifiable addresses not ordered by value: %+v", va)
		}
		if !va[1].Verified || va[1].Status != "completed" || va[1].VerifiedAt == nil || va[0].VerifiedAt != nil || va[0].ID == uuid.Nil {
			t.Errorf("verifiable addresses = %+v", va)
		} else {
			sameTime(t, "verified_at", *va[1].VerifiedAt, verifiedAt)
		}
		if len(got.RecoveryAddresses) != 1 || got.RecoveryAddresses[0].Value != "alice@example.com" || got.RecoveryAddresses[0].ID != id.RecoveryAddresses[0].ID {
			t.Errorf("recovery addresses = %+v", got.RecoveryAddresses)
		}
	}

	// An identity with nothing but traits loads with empty, non-nil collections.
	bare := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{}`)}
	must(t, s.CreateIdentity(ctx(t), bare))
	got, err := s.GetIdentity(ctx(t), bare.ID, true)
	must(t, err)
	if got.Credentials == nil || got.VerifiableAddresses == nil || got.RecoveryAddresses == nil || got.MetadataPublic != nil {
		t.Errorf("bare identity = %+v", got)
	}
}

func testIdentityNotFound(t *testing.T, s store.Store) {
	_, err := s.GetIdentity(ctx(t), uuid.New(), false)
	wantKind(t, err, apierr.ErrNotFound)
	wantKind(t, s.DeleteIdentity(ctx(t), uuid.New()), apierr.ErrNotFound)
	ghost := newIdentity("ghost@example.com")
	ghost.ID, ghost.Version = uuid.New(), 1
	wantKind(t, s.UpdateIdentity(ctx(t), ghost), apierr.ErrNotFound)
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "nobody")
	wantKind(t, err, apierr.ErrNotFound)
}

func countIdentities(t *testing.T, s store.Store) int {
	t.Helper()
	all, _, err := s.ListIdentities(ctx(t), store.IdentityFilter{}, store.ListParams{PageSize: 1000})
	must(t, err)
	return len(all)
}

func testIdentityDuplicateIdentifier(t *testing.T, s store.Store) {
	create(t, s, "dup@example.com")
	second := newIdentity("dup@example.com")
	second.VerifiableAddresses, second.RecoveryAddresses = nil, nil
	err := s.CreateIdentity(ctx(t), second)
	wantKind(t, err, apierr.ErrConflict)
	if r := reasonOf(err); r != "an identity with this identifier already exists" {
		t.Errorf("reason = %q", r)
	}
	// Nothing of the second identity is left behind.
	_, err = s.GetIdentity(ctx(t), second.ID, false)
	wantKind(t, err, apierr.ErrNotFound)
	if n := countIdentities(t, s); n != 1 {
		t.Errorf("%d identities after a conflicting create, want 1", n)
	}
	// Identifiers are compared exactly: another case is another identifier (callers normalise).
	other := newIdentity("DUP@example.com")
	must(t, s.CreateIdentity(ctx(t), other))
	// The same identifier under another credential type is no conflict.
	third := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{
			identity.CredentialsWebAuthn: {Identifiers: []string{"dup@example.com"}, Config: json.RawMessage(`{}`)},
		}}
	must(t, s.CreateIdentity(ctx(t), third))
}

func testIdentityDuplicateAddress(t *testing.T, s store.Store) {
	create(t, s, "addr@example.com")
	second := newIdentity("other@example.com")
	second.VerifiableAddresses = []identity.VerifiableAddress{{Value: "addr@example.com", Via: "email", Status: "pending"}}
	err := s.CreateIdentity(ctx(t), second)
	wantKind(t, err, apierr.ErrConflict)
	if n := countIdentities(t, s); n != 1 {
		t.Errorf("%d identities after a conflicting create, want 1", n)
	}
	// The rolled-back identity's identifier is free.
	create(t, s, "other@example.com")
}

func testIdentityUpdate(t *testing.T, s store.Store) {
	id := create(t, s, "bob@example.com")
	pwID := id.Credentials[identity.CredentialsPassword].ID

	got, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	got.Traits = json.RawMessage(`{"email":"bob2@example.com"}`)
	got.State = identity.StateInactive
	got.MetadataPublic = nil
	pw := got.Credentials[identity.CredentialsPassword]
	pw.Identifiers = []string{"bob2@example.com"}
	got.Credentials[identity.CredentialsPassword] = pw
	got.Credentials[identity.CredentialsLookupSecret] = identity.Credentials{Config: json.RawMessage(`{"codes":[]}`)}
	got.VerifiableAddresses = []identity.VerifiableAddress{{Value: "bob2@example.com", Via: "email", Status: "pending"}}
	got.RecoveryAddresses = nil
	stale := *got
	must(t, s.UpdateIdentity(ctx(t), got))
	if got.Version != 2 {
		t.Errorf("version after update = %d, want 2", got.Version)
	}

	again, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	if again.Version != 2 || again.State != identity.StateInactive || string(again.Traits) != `{"email":"bob2@example.com"}` || again.MetadataPublic != nil {
		t.Errorf("after update: %+v", again)
	}
	if !again.UpdatedAt.Equal(got.UpdatedAt) || again.CreatedAt.After(again.UpdatedAt) {
		t.Errorf("updated_at = %v, returned %v", again.UpdatedAt, got.UpdatedAt)
	}
	if c := again.Credentials[identity.CredentialsPassword]; c.ID != pwID || strings.Join(c.Identifiers, ",") != "bob2@example.com" {
		t.Errorf("password credential after update = %+v", c)
	}
	if _, ok := again.Credentials[identity.CredentialsLookupSecret]; !ok || len(again.RecoveryAddresses) != 0 || len(again.VerifiableAddresses) != 1 {
		t.Errorf("children after update = %+v", again)
	}
	// The old identifier is free, the new one taken.
	create(t, s, "bob@example.com")
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "bob2@example.com")
	must(t, err)

	// A stale version is refused and changes nothing.
	stale.Traits = json.RawMessage(`{"email":"lost@example.com"}`)
	err = s.UpdateIdentity(ctx(t), &stale)
	wantKind(t, err, apierr.ErrConflict)
	if stale.Version != 1 {
		t.Errorf("failed update changed version to %d", stale.Version)
	}
	again, err = s.GetIdentity(ctx(t), id.ID, false)
	must(t, err)
	if string(again.Traits) != `{"email":"bob2@example.com"}` || again.Version != 2 {
		t.Errorf("stale update was applied: %s v%d", again.Traits, again.Version)
	}
}

func testIdentityUpdateConflictIsAtomic(t *testing.T, s store.Store) {
	create(t, s, "carol@example.com")
	dave := create(t, s, "dave@example.com")
	got, err := s.GetIdentity(ctx(t), dave.ID, true)
	must(t, err)
	got.Traits = json.RawMessage(`{"email":"carol@example.com"}`)
	pw := got.Credentials[identity.CredentialsPassword]
	pw.Identifiers = []string{"carol@example.com"}
	got.Credentials[identity.CredentialsPassword] = pw
	err = s.UpdateIdentity(ctx(t), got)
	wantKind(t, err, apierr.ErrConflict)
	if r := reasonOf(err); r != "an identity with this identifier already exists" {
		t.Errorf("reason = %q", r)
	}
	after, err := s.GetIdentity(ctx(t), dave.ID, true)
	must(t, err)
	if after.Version != 1 || string(after.Traits) != `{"email":"dave@example.com"}` ||
		strings.Join(after.Credentials[identity.CredentialsPassword].Identifiers, ",") != "dave@example.com" ||
		len(after.VerifiableAddresses) != 1 || len(after.RecoveryAddresses) != 1 {
		t.Errorf("failed update left changes behind: %+v", after)
	}
}

func testIdentityDeleteCascades(t *testing.T, s store.Store) {
	id := create(t, s, "erin@example.com")
	keep := create(t, s, "frank@example.com")
	ss := createSession(t, s, id, "tok-erin", base)
	kept := createSession(t, s, keep, "tok-frank", base)
	idRef := id.ID
	flow := &store.FlowRecord{Kind: "settings", IdentityID: &idRef, ExpiresAt: base.Add(time.Hour), Data: []byte(`{}`)}
	must(t, s.CreateFlow(ctx(t), flow))

	must(t, s.DeleteIdentity(ctx(t), id.ID))
	_, err := s.GetIdentity(ctx(t), id.ID, false)
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.GetSession(ctx(t), ss.ID)
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.GetSessionByToken(ctx(t), tokenHash("tok-erin"))
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.GetFlow(ctx(t), "settings", flow.ID)
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.GetSession(ctx(t), kept.ID)
	must(t, err)
	// Identifiers and addresses went too: the same e-mail can sign up again.
	create(t, s, "erin@example.com")
	wantKind(t, s.DeleteIdentity(ctx(t), id.ID), apierr.ErrNotFound)
}

func testIdentityList(t *testing.T, s store.Store) {
	var ids []uuid.UUID
	for i := 0; i < 7; i++ {
		ids = append(ids, create(t, s, fmt.Sprintf("user%d@example.com", i)).ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })

	var seen []uuid.UUID
	tok, pages := "", 0
	for {
		page, next, err := s.ListIdentities(ctx(t), store.IdentityFilter{}, store.ListParams{PageSize: 3, PageToken: tok})
		must(t, err)
		pages++
		for _, id := range page {
			seen = append(seen, id.ID)
			if len(id.Credentials[identity.CredentialsPassword].Identifiers) != 1 || len(id.VerifiableAddresses) != 1 {
				t.Errorf("listed identity without its children: %+v", id)
			}
			if len(id.Credentials[identity.CredentialsPassword].Config) != 0 {
				t.Error("listed identity carries a credential config")
			}
		}
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		tok = next
	}
	if pages != 3 || fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Errorf("pages = %d, ids = %v, want 3 pages of %v", pages, seen, ids)
	}

	page, next, err := s.ListIdentities(ctx(t), store.IdentityFilter{CredentialsIdentifier: "user3@example.com"}, store.ListParams{})
	must(t, err)
	if len(page) != 1 || next != "" || string(page[0].Traits) != `{"email":"user3@example.com"}` {
		t.Errorf("filter by identifier = %v, %q", page, next)
	}
	page, _, err = s.ListIdentities(ctx(t), store.IdentityFilter{IDs: []uuid.UUID{ids[5], ids[1], uuid.New()}}, store.ListParams{})
	must(t, err)
	if len(page) != 2 || page[0].ID != ids[1] || page[1].ID != ids[5] {
		t.Errorf("filter by ids = %v", page)
	}
	page, _, err = s.ListIdentities(ctx(t), store.IdentityFilter{CredentialsIdentifier: "nobody"}, store.ListParams{})
	must(t, err)
	if page == nil || len(page) != 0 {
		t.Errorf("empty listing = %#v, want an empty slice", page)
	}
	_, _, err = s.ListIdentities(ctx(t), store.IdentityFilter{}, store.ListParams{PageToken: "not a token!"})
	wantKind(t, err, apierr.ErrBadRequest)
}

func testIdentityFindByIdentifier(t *testing.T, s store.Store) {
	id := create(t, s, "gina@example.com")
	create(t, s, "hank@example.com")
	got, err := s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "gina@example.com")
	must(t, err)
	if got.ID != id.ID || string(got.Credentials[identity.CredentialsPassword].Config) != `{"hashed_password":"$argon2id$x"}` {
		t.Errorf("found %+v", got)
	}
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsTOTP, "gina@example.com")
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "gina@example.co")
	wantKind(t, err, apierr.ErrNotFound)
}

func testIdentityConcurrentCreate(t *testing.T, s store.Store) {
	const n = 16
	errs := inParallel(n, func(i int) error {
		return s.CreateIdentity(ctx(t), newIdentity(fmt.Sprintf("c%d@example.com", i)))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("create %d: %v", i, err)
		}
	}
	if got := countIdentities(t, s); got != n {
		t.Errorf("%d identities, want %d", got, n)
	}

	// Racing for one identifier: exactly one wins.
	errs = inParallel(n, func(int) error {
		return s.CreateIdentity(ctx(t), newIdentity("race@example.com"))
	})
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !isKind(err, apierr.ErrConflict):
			t.Errorf("racing create: %v, want a conflict", err)
		}
	}
	if wins != 1 || countIdentities(t, s) != n+1 {
		t.Errorf("%d racing creates won, want 1", wins)
	}
}

func testIdentityConcurrentUpdate(t *testing.T, s store.Store) {
	id := create(t, s, "ivy@example.com")
	const n = 2
	// Both read version 1 before either writes.
	copies := make([]*identity.Identity, n)
	for i := range copies {
		c, err := s.GetIdentity(ctx(t), id.ID, true)
		must(t, err)
		c.Traits = json.RawMessage(fmt.Sprintf(`{"email":"ivy@example.com","n":%d}`, i))
		copies[i] = c
	}
	errs := inParallel(n, func(i int) error { return s.UpdateIdentity(ctx(t), copies[i]) })
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case isKind(err, apierr.ErrConflict):
			conflicts++
		default:
			t.Errorf("concurrent update: %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Errorf("%d updates succeeded and %d conflicted, want 1 and 1", ok, conflicts)
	}
	got, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	if got.Version != 2 || len(got.Credentials[identity.CredentialsPassword].Identifiers) != 1 {
		t.Errorf("after concurrent updates: %+v", got)
	}
}

// testIdentityUpdateRevokingSessions: the credential change and the revocation of the other
// sessions happen together or not at all.
func testIdentityUpdateRevokingSessions(t *testing.T, s store.Store) {
	id := create(t, s, "grace@example.com")
	current := createSession(t, s, id, "tok-grace-current", base)
	other := createSession(t, s, id, "tok-grace-other", base)
	stranger := create(t, s, "heidi@example.com")
	strangers := createSession(t, s, stranger, "tok-heidi", base)

	// A stale version: nothing changes, no session is revoked.
	stale, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	stale.Version = 99
	stale.Traits = json.RawMessage(`{"email":"grace@example.com","x":1}`)
	wantKind(t, s.UpdateIdentityRevokingSessions(ctx(t), stale, current.ID), apierr.ErrConflict)
	if got, err := s.GetSession(ctx(t), other.ID); err != nil || !got.Active {
		t.Fatalf("a failed update revoked a session: %+v, %v", got, err)
	}

	// A good update: the other session is revoked, the current one and other identities' stay.
	fresh, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	must(t, s.UpdateIdentityRevokingSessions(ctx(t), fresh, current.ID))
	for _, c := range []struct {
		id     uuid.UUID
		active bool
	}{{current.ID, true}, {other.ID, false}, {strangers.ID, true}} {
		got, err := s.GetSession(ctx(t), c.id)
		must(t, err)
		if got.Active != c.active {
			t.Errorf("session %s active = %v, want %v", c.id, got.Active, c.active)
		}
	}
	if fresh.Version != 2 {
		t.Errorf("version after update = %d, want 2", fresh.Version)
	}
}
