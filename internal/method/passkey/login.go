package passkey

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	lib "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// Finder finds the identity holding a credential identifier, with credential configs.
type Finder interface {
	FindByCredentialsIdentifier(ctx context.Context, t identity.CredentialsType, identifier string) (*identity.Identity, error)
}

// Login is the passkey method of the login flow: a first factor (aal1) without identifier.
type Login struct {
	RP         *lib.WebAuthn
	Ceremonies *webauthn.Ceremonies
	Finder     Finder
	Identities webauthn.Updater
	Schemas    identity.Schemas
	// Public is the public base URL (the script's address).
	Public *url.URL
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
}

var _ login.Method = (*Login)(nil)

const purpose = webauthn.PurposePasskeyLogin

// ID implements login.Method.
func (*Login) ID() string { return string(identity.CredentialsPasskey) }

// AAL implements login.Method.
func (*Login) AAL() session.AAL { return session.AAL1 }

// Available implements login.Method: on every first login, and for a refresh when the
// identity has a passkey.
func (*Login) Available(ident *identity.Identity) bool {
	if ident == nil {
		return true
	}
	cfg, err := webauthn.ReadConfig(ident, identity.CredentialsPasskey)
	return err == nil && len(cfg.Credentials) > 0
}

func (m *Login) now() time.Time { return m.Now().UTC() }

// Nodes implements login.Method: passkey_login (hidden), passkey_login_trigger with request
// options (discoverable on a first login, the identity's passkeys on a refresh) and the
// script. Browser flows only.
func (m *Login) Nodes(ctx context.Context, f *login.Flow, ident *identity.Identity) error {
	if f.Type != flow.TypeBrowser {
		return nil
	}
	var (
		assertion *protocol.CredentialAssertion
		sd        *lib.SessionData
		err       error
	)
	uv := lib.WithUserVerification(webauthn.PasskeyUserVerification)
	if ident == nil {
		assertion, sd, err = m.RP.BeginDiscoverableLogin(uv)
	} else {
		var u *webauthn.User
		if u, _, err = m.user(ident); err == nil {
			assertion, sd, err = m.RP.BeginLogin(u, uv)
		}
	}
	if err != nil {
		return fmt.Errorf("begin passkey login: %w", err)
	}
	if err := m.Ceremonies.Save(ctx, f.ID, purpose, sd, f.ExpiresAt); err != nil {
		return err
	}
	return webauthn.AppendLoginNodes(f, m.Public, flow.GroupPasskey, "passkey_login", "passkey_login_trigger", "oryPasskeyLogin", text.InfoLoginPasskey, assertion)
}

func (m *Login) user(ident *identity.Identity) (*webauthn.User, *webauthn.Config, error) {
	cfg, err := webauthn.ReadConfig(ident, identity.CredentialsPasskey)
	if err != nil {
		return nil, nil, err
	}
	return &webauthn.User{Handle: cfg.UserHandle, Name: ident.ID.String(), Display: ident.ID.String(), Keys: cfg.Credentials}, cfg, nil
}

func fail(msg text.Message) *flow.FormError { return &flow.FormError{Messages: []text.Message{msg}} }

// Authenticate implements login.Method: the assertion's user handle names the identity
// (which must be the signed-in one on a refresh); the rest is checked as for WebAuthn.
func (m *Login) Authenticate(ctx context.Context, _ *http.Request, f *login.Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error) {
	if f.Type != flow.TypeBrowser {
		return nil, fail(text.New(text.ErrorValidationLoginNoStrategy, nil))
	}
	raw := webauthn.RawField(body, "passkey_login")
	if len(raw) == 0 {
		return nil, &flow.FormError{Nodes: map[string][]text.Message{"passkey_login": {text.NewRequired("passkey_login")}}}
	}
	now := m.now()
	sd, err := m.Ceremonies.Load(ctx, f.ID, purpose, now)
	if err != nil {
		return nil, fail(webauthn.FailureMessage(err))
	}
	// From here on a refusal is a failed sign-in (login.Refused): under the identity the
	// assertion named when one holds it, under none (counted, not stored) otherwise.
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, login.Refused(uuid.Nil, fail(webauthn.FailureMessage(err)))
	}
	if err := webauthn.RequireUserVerifiedAssertion(parsed); err != nil {
		return nil, login.Refused(uuid.Nil, fail(webauthn.FailureMessage(err)))
	}

	var (
		found *identity.Identity
		cfg   *webauthn.Config
		cred  *lib.Credential
	)
	if ident != nil {
		var u *webauthn.User
		if u, cfg, err = m.user(ident); err != nil {
			return nil, err
		}
		found = ident
		cred, err = m.RP.ValidateLogin(u, *sd, parsed)
	} else {
		lookupErr := error(nil)
		handler := func(_, userHandle []byte) (lib.User, error) {
			id, err := m.Finder.FindByCredentialsIdentifier(ctx, identity.CredentialsPasskey, webauthn.HandleIdentifier(userHandle))
			if err != nil {
				lookupErr = err
				return nil, err
			}
			u, c, err := m.user(id)
			if err != nil {
				lookupErr = err
				return nil, err
			}
			found, cfg = id, c
			return u, nil
		}
		_, cred, err = m.RP.ValidatePasskeyLogin(handler, *sd, parsed)
		if lookupErr != nil {
			if errors.Is(lookupErr, apierr.ErrNotFound) {
				return nil, login.Refused(uuid.Nil, fail(text.New(text.ErrorValidationNoWebAuthnUser, nil)))
			}
			return nil, lookupErr
		}
	}
	if err != nil {
		named := uuid.Nil
		if found != nil {
			named = found.ID
		}
		return nil, login.Refused(named, fail(webauthn.FailureMessage(err)))
	}
	if found.State != "" && found.State != identity.StateActive {
		return nil, login.Refused(found.ID, login.ErrInvalidCredentials())
	}
	if err := webauthn.Used(ctx, m.Ceremonies, m.Identities, f, purpose, found, identity.CredentialsPasskey, cfg, cred, now); err != nil {
		return nil, err
	}
	return found, nil
}
