package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/testdb"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// TestHostileBytesAreBadRequests: bytes the database refuses (invalid UTF-8, NUL) are the
// caller's fault. The HTTP edge refuses them first; should one get past it, the store must
// still say 400, not 500 (PostgreSQL's SQLSTATE 22021 used to surface as a 500).
func TestHostileBytesAreBadRequests(t *testing.T) {
	dsns := map[string]func(t *testing.T) string{
		"postgres": func(t *testing.T) string {
			return testdb.PostgresSchema(t, testdb.ServerDSN(t, testdb.PostgresEnv))
		},
		"mysql": func(t *testing.T) string {
			return testdb.MySQLDatabase(t, testdb.ServerDSN(t, testdb.MySQLEnv))
		},
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			s := openMigrated(t, dsn(t))
			ctx := context.Background()
			_, _, err := s.ListIdentities(ctx, store.IdentityFilter{CredentialsIdentifier: "a\xff\xfe"}, store.ListParams{PageSize: 10})
			if err != nil { // MariaDB just finds nothing; an error must be a bad request
				wantBadRequest(t, "list by an invalid UTF-8 identifier", err)
			}
			id := &identity.Identity{SchemaID: "default", State: identity.StateActive,
				Traits: json.RawMessage("{\"email\":\"a\xc3\x28@example.com\"}")}
			wantBadRequest(t, "create with invalid UTF-8 traits", s.CreateIdentity(ctx, id))
			// An identifier longer than the database's index allows (a schema without
			// maxLength lets one through) is refused, or stored, but never a 500.
			long := strings.Repeat("x", 40_000) + "@example.com"
			id = &identity.Identity{SchemaID: "default", State: identity.StateActive,
				Traits: json.RawMessage(`{"email":"` + long + `"}`),
				Credentials: map[identity.CredentialsType]identity.Credentials{
					identity.CredentialsPassword: {Type: identity.CredentialsPassword, Identifiers: []string{long}, Config: json.RawMessage(`{}`)},
				}}
			if err := s.CreateIdentity(ctx, id); err != nil {
				wantBadRequest(t, "create with a 40 KB identifier", err)
			}
		})
	}
}

func wantBadRequest(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, apierr.ErrBadRequest) {
		t.Errorf("%s: %v (want a bad request)", what, err)
	}
	if err != nil && strings.Contains(apierr.From(err).Reason, "UTF8") {
		t.Errorf("%s: the driver's message reaches the reply: %q", what, apierr.From(err).Reason)
	}
}
