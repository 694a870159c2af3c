package sessionapi_test

import (
	"context"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessiontest"
	"github.com/portico-auth/portico/internal/sessionapi"
)

// backend is the store the tests run against.
type backend interface {
	sessionapi.Store
	session.Store
	CreateIdentity(ctx context.Context, id *identity.Identity) error
}

func newBackend(t *testing.T) backend {
	t.Helper()
	return sessiontest.NewMemStore()
}
