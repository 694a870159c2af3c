package sessionapi_test

import (
	"context"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/sessionapi"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// backend is the store the tests run against.
type backend interface {
	sessionapi.Store
	session.Store
	CreateIdentity(ctx context.Context, id *identity.Identity) error
}

// newBackend opens a private, migrated in-memory SQLite store: the real SQL, no server.
func newBackend(t *testing.T) backend {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.MigrateUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return st
}
