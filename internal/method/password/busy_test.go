package password

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/store/sqlstore"
	"github.com/portico-auth/portico/internal/throttle"
)

// busyHasher is a hasher that never gets its turn (every hash slot taken).
type busyHasher struct{}

func (busyHasher) Compare(context.Context, []byte, string) error { return hash.ErrBusy }
func (busyHasher) DummyCompare(context.Context, []byte) error    { return hash.ErrBusy }
func (busyHasher) NeedsRehash(string) bool                       { return false }

// TestBusyHasherAnswers503AndGivesTheAttemptBack (issue 11 finding 5b): when hashing is
// saturated, a sign-in is answered 503 (Kratos's error shape) and, never evaluated, does not
// count against the identifier's or the address's budget.
func TestBusyHasherAnswers503AndGivesTheAttemptBack(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "memory")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.MigrateUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	budget := throttle.Budget{Scope: "login", Max: 1, Window: time.Minute}
	m := &LoginMethod{
		Identities: st, Hasher: busyHasher{}, Now: func() time.Time { return now },
		Throttle: &throttle.Login{Throttle: &throttle.Throttle{Counter: st}, Identifier: budget, Source: throttle.DefaultSource},
	}
	for i := range 3 {
		r := httptest.NewRequest(http.MethodPost, "/self-service/login", nil)
		_, err := m.Authenticate(ctx, r, &login.Flow{}, nil, form.Values{"identifier": "someone@example.com", "password": "pw"})
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != http.StatusServiceUnavailable {
			t.Fatalf("attempt %d with the hasher busy: %v, want a 503", i, err)
		}
	}
	// With Max 1, a counted attempt would have made the second one a 429.
}
