package sessionapi_test

import (
	"context"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/sessionapi"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
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
	st := sqlstoretest.Memory(t)
	return st
}
