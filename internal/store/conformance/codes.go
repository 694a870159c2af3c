package conformance

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// codeFlow stores a flow of kind for codes to belong to.
func codeFlow(t *testing.T, s store.Store, kind string) uuid.UUID {
	t.Helper()
	f := &store.FlowRecord{Kind: kind, ExpiresAt: base.Add(time.Hour), Data: []byte(`{}`)}
	must(t, s.CreateFlow(ctx(t), f))
	return f.ID
}

func newCode(flowID uuid.UUID, purpose, method string, ident *identity.Identity, hash string) *store.Code {
	c := &store.Code{FlowID: flowID, Purpose: purpose, Method: method, Via: "email", Address: "code@example.com",
		Hash: []byte(hash), ExpiresAt: base.Add(15 * time.Minute), CreatedAt: base}
	if ident != nil {
		c.IdentityID = &ident.ID
	}
	return c
}

// testCodes: a code is found only while live, tries are counted up to max, use is single, a
// new code replaces the unused one of its flow, and codes go with their flow.
func testCodes(t *testing.T, s store.Store) {
	id := create(t, s, "codes@example.com")
	flowID := codeFlow(t, s, "verification")
	if _, _, err := s.ReserveCodeAttempt(ctx(t), flowID, "verification", base, 5); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("a flow without a code: %v", err)
	}
	c := newCode(flowID, "verification", "code", id, "hash-1")
	must(t, s.CreateCode(ctx(t), c))
	if c.ID == uuid.Nil {
		t.Fatal("no id filled in")
	}
	for i := 1; i <= 3; i++ {
		got, ok, err := s.ReserveCodeAttempt(ctx(t), flowID, "verification", base.Add(time.Minute), 3)
		must(t, err)
		if !ok || got.ID != c.ID || got.Attempts != i || !bytes.Equal(got.Hash, []byte("hash-1")) {
			t.Fatalf("try %d: ok=%v %+v", i, ok, got)
		}
		if got.IdentityID == nil || *got.IdentityID != id.ID || got.Address != "code@example.com" || got.Via != "email" {
			t.Fatalf("try %d: code read back wrong: %+v", i, got)
		}
		sameTime(t, "expires_at", got.ExpiresAt, c.ExpiresAt)
	}
	got, ok, err := s.ReserveCodeAttempt(ctx(t), flowID, "verification", base.Add(time.Minute), 3)
	must(t, err)
	if ok || got.Attempts != 3 {
		t.Fatalf("a fourth try with max 3: ok=%v attempts=%d", ok, got.Attempts)
	}
	// Another purpose on the same flow sees nothing.
	if _, _, err := s.ReserveCodeAttempt(ctx(t), flowID, "recovery", base, 3); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("another purpose: %v", err)
	}
	// A new code replaces the unused one, with fresh tries.
	c2 := newCode(flowID, "verification", "code", id, "hash-2")
	must(t, s.CreateCode(ctx(t), c2))
	got, ok, err = s.ReserveCodeAttempt(ctx(t), flowID, "verification", base.Add(time.Minute), 3)
	must(t, err)
	if !ok || got.ID != c2.ID || got.Attempts != 1 {
		t.Fatalf("the replacing code: ok=%v %+v", ok, got)
	}
	// Expired: gone for tries and for use.
	if _, _, err := s.ReserveCodeAttempt(ctx(t), flowID, "verification", c2.ExpiresAt, 3); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("an expired code: %v", err)
	}
	wantKind(t, s.UseCode(ctx(t), c2.ID, c2.ExpiresAt.Add(time.Second)), apierr.ErrNotFound)
	// Single use.
	must(t, s.UseCode(ctx(t), c2.ID, base.Add(2*time.Minute)))
	wantKind(t, s.UseCode(ctx(t), c2.ID, base.Add(2*time.Minute)), apierr.ErrNotFound)
	if _, _, err := s.ReserveCodeAttempt(ctx(t), flowID, "verification", base.Add(3*time.Minute), 3); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("a used code: %v", err)
	}
	// A used code is not deleted by a new one (it is history), nor found again.
	must(t, s.CreateCode(ctx(t), newCode(flowID, "verification", "code", id, "hash-3")))

	// Link tokens are found by hash, while live and unused.
	link := newCode(flowID, "verification", "link", id, "link-hash")
	must(t, s.CreateCode(ctx(t), link))
	found, err := s.FindCodeByHash(ctx(t), "verification", []byte("link-hash"), base)
	must(t, err)
	if found.ID != link.ID || found.FlowID != flowID || found.Method != "link" {
		t.Fatalf("link by hash: %+v", found)
	}
	if _, err := s.FindCodeByHash(ctx(t), "recovery", []byte("link-hash"), base); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("a link of another purpose: %v", err)
	}
	if _, err := s.FindCodeByHash(ctx(t), "verification", []byte("hash-3"), base); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("a code found as a link: %v", err)
	}
	if _, err := s.FindCodeByHash(ctx(t), "verification", []byte("link-hash"), link.ExpiresAt); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("an expired link: %v", err)
	}
	must(t, s.UseCode(ctx(t), link.ID, base))
	if _, err := s.FindCodeByHash(ctx(t), "verification", []byte("link-hash"), base); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("a used link: %v", err)
	}

	// A code of a flow that does not exist is refused; a code without identity is fine.
	wantKind(t, s.CreateCode(ctx(t), newCode(uuid.New(), "verification", "code", nil, "x")), apierr.ErrNotFound)
	regFlow := codeFlow(t, s, "registration")
	must(t, s.CreateCode(ctx(t), newCode(regFlow, "registration", "code", nil, "reg")))
	got, _, err = s.ReserveCodeAttempt(ctx(t), regFlow, "registration", base, 5)
	must(t, err)
	if got.IdentityID != nil {
		t.Fatalf("identity of a registration code: %v", got.IdentityID)
	}

	// Codes go with their flow, and with their identity.
	must(t, s.DeleteFlow(ctx(t), "registration", regFlow))
	if _, _, err := s.ReserveCodeAttempt(ctx(t), regFlow, "registration", base, 5); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("a code of a deleted flow: %v", err)
	}
	other := codeFlow(t, s, "recovery")
	must(t, s.CreateCode(ctx(t), newCode(other, "recovery", "code", id, "rec")))
	must(t, s.DeleteIdentity(ctx(t), id.ID))
	if _, _, err := s.ReserveCodeAttempt(ctx(t), other, "recovery", base, 5); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("a code of a deleted identity: %v", err)
	}
}

// testCodesDeleteExpired: cleanup removes expired codes only, within the limit.
func testCodesDeleteExpired(t *testing.T, s store.Store) {
	for i := range 3 {
		f := codeFlow(t, s, "verification")
		c := newCode(f, "verification", "code", nil, fmt.Sprint(i))
		c.ExpiresAt = base.Add(time.Duration(i) * time.Minute)
		must(t, s.CreateCode(ctx(t), c))
	}
	n, err := s.DeleteCodesExpiredBefore(ctx(t), base.Add(90*time.Second), 1)
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d with limit 1", n)
	}
	n, err = s.DeleteCodesExpiredBefore(ctx(t), base.Add(90*time.Second), 0)
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d, want the one other expired code", n)
	}
}

// testCodesConcurrentGuesses: 100 concurrent tries on one code admit exactly max, and of 100
// concurrent uses of one code exactly one succeeds.
func testCodesConcurrentGuesses(t *testing.T, s store.Store) {
	const n, max = 100, 5
	flowID := codeFlow(t, s, "recovery")
	c := newCode(flowID, "recovery", "code", nil, "guess-me")
	must(t, s.CreateCode(ctx(t), c))
	race := func(f func() (bool, error)) int { return concurrently(t, n, f) }
	admitted := race(func() (bool, error) {
		_, ok, err := s.ReserveCodeAttempt(ctx(t), flowID, "recovery", base, max)
		return ok, err
	})
	if admitted != max {
		t.Fatalf("%d concurrent tries admitted %d, want %d", n, admitted, max)
	}
	got, ok, err := s.ReserveCodeAttempt(ctx(t), flowID, "recovery", base, max)
	must(t, err)
	if ok || got.Attempts != max {
		t.Fatalf("after the race: ok=%v attempts=%d", ok, got.Attempts)
	}
	used := race(func() (bool, error) {
		err := s.UseCode(ctx(t), c.ID, base)
		if isKind(err, apierr.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
	if used != 1 {
		t.Fatalf("%d concurrent uses of one code: %d succeeded, want 1", n, used)
	}
}

// testAddressVerification: marking an address verified sets status and verified_at once,
// bumps the identity's version (an update prepared before it conflicts), and a status change
// never un-verifies.
func testAddressVerification(t *testing.T, s store.Store) {
	id := create(t, s, "verify@example.com")
	stale, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	for name, find := range map[string]func() (*identity.Identity, error){
		"verifiable": func() (*identity.Identity, error) {
			return s.FindByVerifiableAddress(ctx(t), "email", "verify@example.com")
		},
		"recovery": func() (*identity.Identity, error) {
			return s.FindByRecoveryAddress(ctx(t), "email", "verify@example.com")
		},
	} {
		found, err := find()
		must(t, err)
		if found.ID != id.ID || len(found.VerifiableAddresses) != 1 || found.Credentials["password"].Config != nil {
			t.Fatalf("find by %s address: %+v", name, found)
		}
	}
	if _, err := s.FindByVerifiableAddress(ctx(t), "sms", "verify@example.com"); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("an unknown address: %v", err)
	}
	if _, err := s.FindByRecoveryAddress(ctx(t), "email", "nobody@example.com"); !isKind(err, apierr.ErrNotFound) {
		t.Fatalf("an unknown recovery address: %v", err)
	}
	must(t, s.SetAddressStatus(ctx(t), id.ID, "email", "verify@example.com", "sent", base))
	got, err := s.GetIdentity(ctx(t), id.ID, false)
	must(t, err)
	if a := got.VerifiableAddresses[0]; a.Status != "sent" || a.Verified || a.VerifiedAt != nil {
		t.Fatalf("after status sent: %+v", a)
	}
	must(t, s.MarkAddressVerified(ctx(t), id.ID, "email", "verify@example.com", base.Add(time.Minute)))
	must(t, s.MarkAddressVerified(ctx(t), id.ID, "email", "verify@example.com", base.Add(time.Hour)))
	must(t, s.SetAddressStatus(ctx(t), id.ID, "email", "verify@example.com", "sent", base.Add(2*time.Hour)))
	got, err = s.GetIdentity(ctx(t), id.ID, false)
	must(t, err)
	a := got.VerifiableAddresses[0]
	if !a.Verified || a.Status != "completed" || a.VerifiedAt == nil {
		t.Fatalf("after verification: %+v", a)
	}
	sameTime(t, "verified_at (the first verification)", *a.VerifiedAt, base.Add(time.Minute))
	if got.Version <= stale.Version {
		t.Fatalf("version %d not above %d", got.Version, stale.Version)
	}
	stale.MetadataPublic = []byte(`{"plan":"pro"}`)
	wantKind(t, s.UpdateIdentity(ctx(t), stale), apierr.ErrConflict)
	wantKind(t, s.MarkAddressVerified(ctx(t), id.ID, "email", "other@example.com", base), apierr.ErrNotFound)
	wantKind(t, s.SetAddressStatus(ctx(t), id.ID, "sms", "verify@example.com", "sent", base), apierr.ErrNotFound)
	wantKind(t, s.MarkAddressVerified(ctx(t), uuid.New(), "email", "verify@example.com", base), apierr.ErrNotFound)
	// The failed writes changed nothing.
	again, err := s.GetIdentity(ctx(t), id.ID, false)
	must(t, err)
	if again.Version != got.Version {
		t.Fatalf("a refused address write changed the version: %d -> %d", got.Version, again.Version)
	}
}
