package password

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
	"github.com/portico-auth/portico/internal/throttle"
)

// IdentityFinder finds the identity holding a password identifier, with credential configs.
type IdentityFinder interface {
	FindByCredentialsIdentifier(ctx context.Context, t identity.CredentialsType, identifier string) (*identity.Identity, error)
}

// Hasher verifies and renews password hashes (satisfied by *hash.Hasher).
type Hasher interface {
	Compare(ctx context.Context, password []byte, hashed string) error
	// DummyCompare costs what a Compare costs; its error only says the hasher is busy.
	DummyCompare(ctx context.Context, password []byte) error
	NeedsRehash(hashed string) bool
}

// PasswordUpdater stores a renewed password hash (satisfied by *identity.Manager).
type PasswordUpdater interface {
	SetPassword(ctx context.Context, id *identity.Identity, password, hashedPassword string) error
	Update(ctx context.Context, id *identity.Identity) error
}

// LoginMethod is the password method of the login flow.
type LoginMethod struct {
	Identities IdentityFinder
	Hasher     Hasher
	Updater    PasswordUpdater
	Schemas    identity.Schemas
	// Throttle reserves every attempt before its hash is computed (per identifier and client
	// address, or per trusted device); nil means no limit.
	Throttle *throttle.Login
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
	// Log is the server's logger (required).
	Log *slog.Logger
}

var _ login.Method = (*LoginMethod)(nil)

// ID implements login.Method.
func (*LoginMethod) ID() string { return string(identity.CredentialsPassword) }

// AAL implements login.Method.
func (*LoginMethod) AAL() session.AAL { return session.AAL1 }

// Available implements login.Method: always on a first login, and for a refresh only when the
// identity has a password.
func (*LoginMethod) Available(ident *identity.Identity) bool {
	return ident == nil || ident.HasCredentials(identity.CredentialsPassword)
}

// Nodes implements login.Method: identifier, password and the submit button. On a refresh
// the identifier is fixed to the signed-in identity's and hidden.
func (m *LoginMethod) Nodes(_ context.Context, f *login.Flow, ident *identity.Identity) error {
	label := identifierLabel(m.Schemas.Default())
	id := flow.InputAttributes{Name: "identifier", Type: flow.InputText, Value: "", Required: true}
	if ident != nil {
		id.Type = flow.InputHidden
		id.Value = passwordIdentifier(ident)
	}
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupDefault, id, &label),
		flow.NewInput(flow.GroupPassword, flow.InputAttributes{Name: "password", Type: flow.InputPassword, Required: true, Autocomplete: flow.AutocompleteCurrentPassword}, ptr(text.NewLabelPassword())),
		flow.NewSubmit(flow.GroupPassword, m.ID(), text.NewLoginPassword()),
	)
	return nil
}

func ptr[T any](v T) *T { return &v }

func (m *LoginMethod) now() time.Time { return m.Now() }

// Authenticate implements login.Method. A wrong identifier and a wrong password take the same
// time and give the same answer (4000006).
func (m *LoginMethod) Authenticate(ctx context.Context, r *http.Request, f *login.Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error) {
	identifier := body.String("identifier")
	if identifier == "" {
		identifier = body.String("password_identifier") // Kratos's deprecated field name
	}
	password := body.String("password")
	if ident == nil {
		f.UI.Nodes.SetValue("identifier", identifier)
	}
	if identifier == "" || password == "" {
		fe := &flow.FormError{Nodes: map[string][]text.Message{}}
		if identifier == "" {
			fe.Nodes["identifier"] = []text.Message{text.NewRequired("identifier")}
		}
		if password == "" {
			fe.Nodes["password"] = []text.Message{text.NewRequired("password")}
		}
		return nil, fe
	}
	key := identity.NormalizeIdentifier(identifier)
	found, hashed, err := m.find(ctx, key)
	if err != nil {
		return nil, err
	}
	identityID := uuid.Nil
	if found != nil {
		identityID = found.ID
	}
	// Counted before the hash, so concurrent attempts cannot all pass one check.
	res, err := m.Throttle.Reserve(ctx, r, key, identityID, m.now())
	if err != nil {
		if _, limited := throttle.IsLimited(err); limited {
			return nil, login.Refused(identityID, throttled(err))
		}
		return nil, err
	}
	ok, err := m.verify(ctx, found, hashed, password)
	if err != nil {
		// Not evaluated (the hasher was busy): the attempt is given back.
		if cerr := res.Cancel(ctx); cerr != nil {
			m.Log.WarnContext(ctx, "release login attempt", "error", cerr)
		}
		return nil, err
	}
	// A failure stays counted; the audit trail names the identity the identifier belongs to
	// (login.Refused), never the identifier.
	if !ok || (found.State != "" && found.State != identity.StateActive) || (ident != nil && found.ID != ident.ID) {
		return nil, login.Refused(identityID, login.ErrInvalidCredentials())
	}
	if err := res.Succeeded(ctx); err != nil {
		return nil, err
	}
	if m.Hasher.NeedsRehash(hashed) && m.Updater != nil {
		m.rehash(ctx, found, password)
	}
	return found, nil
}

// verify compares password with the stored hash; for an unknown identifier (or one without
// a usable hash) it spends the same work on a dummy hash and reports a mismatch. Its error is
// only for an attempt that could not be evaluated.
func (m *LoginMethod) verify(ctx context.Context, found *identity.Identity, hashed, password string) (bool, error) {
	if found == nil || hashed == "" {
		if err := m.Hasher.DummyCompare(ctx, []byte(password)); errors.Is(err, hash.ErrBusy) {
			return false, err
		}
		return false, nil
	}
	err := m.Hasher.Compare(ctx, []byte(password), hashed)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, hash.ErrBusy):
		return false, err
	case !errors.Is(err, hash.ErrMismatch):
		m.Log.WarnContext(ctx, "password hash unusable", "identity_id", found.ID, "error", err)
	}
	return false, nil
}

// Remember marks the client as a trusted device of ident after a successful sign-in, so that
// its later attempts draw on a budget of their own (login.DeviceRememberer).
func (m *LoginMethod) Remember(w http.ResponseWriter, ident *identity.Identity) {
	if ident != nil {
		m.Throttle.Remember(w, ident.ID)
	}
}

// find loads the identity holding identifier and its stored hash; an unknown identifier is
// (nil, "", nil).
func (m *LoginMethod) find(ctx context.Context, identifier string) (*identity.Identity, string, error) {
	found, err := m.Identities.FindByCredentialsIdentifier(ctx, identity.CredentialsPassword, identifier)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	c, ok := found.Credentials[identity.CredentialsPassword]
	if !ok || len(c.Config) == 0 {
		return found, "", nil
	}
	var cfg identity.PasswordConfig
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return found, "", nil
	}
	return found, cfg.HashedPassword, nil
}

// rehash replaces a legacy or weaker hash with one of the configured algorithm. A failure is
// logged, never shown: the user signed in correctly.
func (m *LoginMethod) rehash(ctx context.Context, id *identity.Identity, password string) {
	if err := m.Updater.SetPassword(ctx, id, password, ""); err != nil {
		m.Log.WarnContext(ctx, "rehash password", "identity_id", id.ID, "error", err)
		return
	}
	if err := m.Updater.Update(ctx, id); err != nil {
		m.Log.WarnContext(ctx, "store rehashed password", "identity_id", id.ID, "error", err)
	}
}
