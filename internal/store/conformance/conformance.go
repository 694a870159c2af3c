// Package conformance is the one test suite every store.Store implementation must pass. A
// backend's test calls Run with a function that returns a fresh, migrated, empty store.
package conformance

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// Run runs every conformance test; newStore must return an empty, migrated store and arrange
// for it to be closed (t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"IdentityCreateGet", testIdentityCreateGet},
		{"IdentityNotFound", testIdentityNotFound},
		{"IdentityDuplicateIdentifier", testIdentityDuplicateIdentifier},
		{"IdentityDuplicateAddress", testIdentityDuplicateAddress},
		{"IdentityUpdate", testIdentityUpdate},
		{"IdentityUpdateConflictIsAtomic", testIdentityUpdateConflictIsAtomic},
		{"IdentityUpdateRevokingSessions", testIdentityUpdateRevokingSessions},
		{"IdentityUpdateWith", testIdentityUpdateWith},
		{"IdentityUpdateWithConcurrent", testIdentityUpdateWithConcurrent},
		{"IdentityProfileUpdate", testIdentityProfileUpdate},
		{"IdentityDeleteCascades", testIdentityDeleteCascades},
		{"IdentityDeleteManySessions", testIdentityDeleteManySessions},
		{"IdentityTombstone", testIdentityTombstone},
		{"IdentityDeleteGoneAtOnce", testIdentityDeleteGoneAtOnce},
		{"IdentityDeleteRaces", testIdentityDeleteRaces},
		{"AccountDelete", testAccountDelete},
		{"AccountDeleteConcurrent", testAccountDeleteConcurrent},
		{"IdentityList", testIdentityList},
		{"IdentityFindByIdentifier", testIdentityFindByIdentifier},
		{"IdentityExternalID", testIdentityExternalID},
		{"IdentityListSimilar", testIdentityListSimilar},
		{"IdentityConcurrentCreate", testIdentityConcurrentCreate},
		{"IdentityConcurrentUpdate", testIdentityConcurrentUpdate},
		{"IdentityDiffedWrites", testIdentityDiffedWrites},
		{"IdentityDiffedWritesConflict", testIdentityDiffedWritesConflict},
		{"IdentityDiffedWritesRetried", testIdentityDiffedWritesRetried},
		{"SessionCreateGet", testSessionCreateGet},
		{"SessionIdentityFresh", testSessionIdentityFresh},
		{"SessionRecordAuthentication", testSessionRecordAuthentication},
		{"SessionExtend", testSessionExtend},
		{"SessionWritersNeverRevive", testSessionWritersNeverRevive},
		{"SessionRecordNoLostUpdate", testSessionRecordNoLostUpdate},
		{"SessionList", testSessionList},
		{"SessionRevoke", testSessionRevoke},
		{"SessionDeleteExpired", testSessionDeleteExpired},
		{"SessionConcurrentCreate", testSessionConcurrentCreate},
		{"SessionCap", testSessionCap},
		{"SessionCapConcurrent", testSessionCapConcurrent},
		{"Flows", testFlows},
		{"FlowDelete", testFlowDelete},
		{"FlowPrivate", testFlowPrivate},
		{"FlowBytesReused", testFlowBytesReused},
		{"FlowBytesLoaded", testFlowBytesLoaded},
		{"FlowLargeDocuments", testFlowLargeDocuments},
		{"FlowTrim", testFlowTrim},
		{"Errors", testErrors},
		{"Values", testValues},
		{"Throttles", testThrottles},
		{"ThrottlesConcurrentReserve", testThrottlesConcurrentReserve},
		{"ErrorsDeleteBefore", testErrorsDeleteBefore},
		{"Codes", testCodes},
		{"CodesDeleteExpired", testCodesDeleteExpired},
		{"CodesConcurrentGuesses", testCodesConcurrentGuesses},
		{"AddressVerification", testAddressVerification},
		{"MessagesQueue", testMessagesQueue},
		{"MessagesClaimFinish", testMessagesClaimFinish},
		{"MessagesConcurrentClaim", testMessagesConcurrentClaim},
		{"EventsRecordList", testEventsRecordList},
		{"EventsWithChange", testEventsWithChange},
		{"EventsComputedOnce", testEventsComputedOnce},
		{"EventsConcurrentUpdate", testEventsConcurrentUpdate},
		{"EventsDeleteBefore", testEventsDeleteBefore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// base is a fixed instant with sub-microsecond noise the store must drop.
var base = time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))

func ctx(t *testing.T) context.Context { return t.Context() }

// inParallel runs f(0) … f(n-1) in goroutines of their own, released together once all are
// started, and returns each call's error.
func inParallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// concurrently starts n calls of f at once and returns how many reported true; any error
// fails the test.
func concurrently(t *testing.T, n int, f func() (bool, error)) int {
	t.Helper()
	var won atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := f()
			if err != nil {
				errs <- err
				return
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	return int(won.Load())
}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v, want %v", err, kind)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func reasonOf(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// newIdentity returns an identity with a password credential for email and matching addresses.
func newIdentity(email string) *identity.Identity {
	return &identity.Identity{
		SchemaID: "default",
		Traits:   json.RawMessage(fmt.Sprintf(`{"email":%q}`, email)),
		Credentials: map[identity.CredentialsType]identity.Credentials{
			identity.CredentialsPassword: {
				Identifiers: []string{email},
				Config:      json.RawMessage(`{"hashed_password":"$argon2id$x"}`),
				Version:     0,
			},
		},
		VerifiableAddresses: []identity.VerifiableAddress{{Value: email, Via: "email", Status: "pending"}},
		RecoveryAddresses:   []identity.RecoveryAddress{{Value: email, Via: "email"}},
		MetadataPublic:      json.RawMessage(`{"plan":"free"}`),
	}
}

func create(t *testing.T, s store.Store, email string) *identity.Identity {
	t.Helper()
	id := newIdentity(email)
	must(t, s.CreateIdentity(ctx(t), id))
	return id
}

func tokenHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func newSession(id *identity.Identity, token string, issued time.Time) *session.Session {
	return &session.Session{
		Active:          true,
		IdentityID:      id.ID,
		TokenHash:       tokenHash(token),
		AAL:             session.AAL1,
		IssuedAt:        issued,
		AuthenticatedAt: issued,
		ExpiresAt:       issued.Add(24 * time.Hour),
		AuthenticationMethods: []session.AuthenticationMethod{
			{Method: "password", AAL: session.AAL1, CompletedAt: issued},
		},
		Devices: []session.Device{{IPAddress: "192.0.2.1", UserAgent: "test", Location: "Nowhere"}},
	}
}

func createSession(t *testing.T, s store.Store, id *identity.Identity, token string, issued time.Time) *session.Session {
	t.Helper()
	ss := newSession(id, token, issued)
	must(t, s.CreateSession(ctx(t), ss))
	return ss
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	want = want.UTC().Truncate(time.Microsecond)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v in UTC", what, got, want)
	}
}

func testPing(t *testing.T, s store.Store) {
	must(t, s.Ping(ctx(t)))
}
