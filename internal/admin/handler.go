package admin

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/store"
)

// IdentityManager creates and updates identities (satisfied by *identity.Manager).
type IdentityManager interface {
	Create(ctx context.Context, id *identity.Identity, opts identity.CreateOptions) error
	Update(ctx context.Context, id *identity.Identity) error
	SetPassword(ctx context.Context, id *identity.Identity, password, hashedPassword string) error
}

// IdentityStore reads and deletes identities (satisfied by store.Identities).
type IdentityStore interface {
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	DeleteIdentity(ctx context.Context, id uuid.UUID) error
	ListIdentities(ctx context.Context, f store.IdentityFilter, p store.ListParams) ([]*identity.Identity, string, error)
}

// Schemas finds identity schemas (satisfied by *schema.Registry).
type Schemas interface {
	Get(id string) (*schema.Schema, error)
}

// IdentityHandler serves /admin/identities.
type IdentityHandler struct {
	mgr     IdentityManager
	store   IdentityStore
	schemas Schemas
	// publicBase is serve.public.base_url, where schema_url points.
	publicBase string
	// Factors are the enabled sign-in methods; deleting credentials never takes an identity's
	// last usable first factor (see identity.Factors). Nil knows no method.
	Factors *identity.Factors
	// Reveal opens what a credential type keeps sealed in its config, for the types asked
	// for with include_credential (the oidc method's upstream tokens); a type without an
	// entry is shown as stored.
	Reveal map[identity.CredentialsType]func(id uuid.UUID, config json.RawMessage) json.RawMessage
	// Importers check a credential config given when an identity is created (credentials.totp,
	// lookup_secret, webauthn, passkey: the shape include_credential shows, a Portico
	// extension) and set it on the identity, or refuse it with a 400; a type without an entry
	// is refused. Now is the clock they are given (nil: the system clock).
	Importers map[identity.CredentialsType]func(id *identity.Identity, config json.RawMessage, now time.Time) error
	Now       func() time.Time
	// OIDC keeps provider accounts in the oidc method's format: the accounts credentials.oidc
	// links when an identity is created, and the one DELETE …/credentials/oidc removes (nil:
	// both refused with a 400).
	OIDC OIDCAccounts
	// Audit records every change an administrator makes to an identity, in the write that
	// makes it (nil records nothing); Events reads the trail back.
	Audit  *audithttp.Recorder
	Events EventStore
}

// OIDCAccounts keep the provider accounts of an identity's oidc credential, in memory
// (satisfied by oidc.Accounts; the method sits above this package, so the server hands it in).
type OIDCAccounts interface {
	// Link adds provider account (provider, subject), without tokens.
	Link(ident *identity.Identity, provider, subject string, now time.Time) error
	// Unlink removes the account with identifier "<provider>:<subject>" (the credential goes
	// with its last account) and reports whether the identity had it.
	Unlink(ident *identity.Identity, identifier string, now time.Time) (bool, error)
}

// now is the handler's clock in UTC (the system clock when Now is nil).
func (h *IdentityHandler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// EventStore reads an identity's audit trail (satisfied by store.Events).
type EventStore interface {
	ListEvents(ctx context.Context, identityID uuid.UUID, p store.ListParams) ([]audit.Event, string, error)
}

// NewIdentityHandler returns the admin identity API. publicBaseURL is the public listener's
// base URL, used for schema_url.
func NewIdentityHandler(mgr IdentityManager, st IdentityStore, schemas Schemas, publicBaseURL *url.URL) *IdentityHandler {
	return &IdentityHandler{mgr: mgr, store: st, schemas: schemas, publicBase: publicBaseURL.String()}
}

// Register adds the admin identity routes to mux.
func (h *IdentityHandler) Register(mux *http.ServeMux) {
	mux.Handle("POST /admin/identities", httpx.HandlerFunc(h.create))
	mux.Handle("GET /admin/identities", httpx.HandlerFunc(h.list))
	mux.Handle("PATCH /admin/identities", httpx.HandlerFunc(h.batchPatch))
	mux.Handle("GET /admin/identities/{id}", httpx.HandlerFunc(h.get))
	mux.Handle("PUT /admin/identities/{id}", httpx.HandlerFunc(h.update))
	mux.Handle("PATCH /admin/identities/{id}", httpx.HandlerFunc(h.patch))
	mux.Handle("DELETE /admin/identities/{id}", httpx.HandlerFunc(h.delete))
	mux.Handle("DELETE /admin/identities/{id}/credentials/{type}", httpx.HandlerFunc(h.deleteCredentials))
	mux.Handle("GET /admin/identities/{id}/events", httpx.HandlerFunc(h.events))
}

// render prepares an identity for the wire: schema_url set, credential configs hidden except
// for the types in include, empty lists as [] rather than null.
func (h *IdentityHandler) render(id *identity.Identity, include []identity.CredentialsType) *identity.Identity {
	out := id.WithoutCredentialConfigs(include...).Shown(h.publicBase)
	for t, c := range out.Credentials {
		if c.Identifiers == nil {
			c.Identifiers = []string{}
		}
		if open := h.Reveal[t]; open != nil && len(c.Config) > 0 {
			c.Config = open(id.ID, c.Config)
		}
		out.Credentials[t] = c
	}
	return out
}

// identityID parses the {id} path value. A malformed id names no identity: 404, as Kratos.
func identityID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, apierr.ErrNotFound.WithReason("Unable to locate the resource").WithCause(err)
	}
	return id, nil
}

// includedCredentials reads the repeatable include_credential parameter.
func includedCredentials(q url.Values) []identity.CredentialsType {
	var out []identity.CredentialsType
	for _, v := range q["include_credential"] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, identity.CredentialsType(part))
			}
		}
	}
	return out
}

// adminChange returns r's context carrying the events of an administrator's change to ident:
// what changed since before (audit.Changes), then typ, computed when the store writes ident
// (once the manager has derived its addresses). before nil: typ alone.
func (h *IdentityHandler) adminChange(r *http.Request, typ string, before, ident *identity.Identity, details map[string]any) context.Context {
	return h.Audit.WithFunc(r.Context(), r, true, func() []audit.Event {
		d := map[string]any{"by": audit.ByAdmin}
		maps.Copy(d, details)
		// The change itself last, so that the trail (newest first) shows it above its parts.
		return append(audit.Changes(before, ident, audit.ByAdmin), audit.New(typ, ident.ID, d))
	})
}
