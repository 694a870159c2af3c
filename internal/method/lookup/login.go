package lookup

import (
	"context"
	"net/http"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// LoginMethod is a backup recovery code as a second factor at login (aal2).
type LoginMethod struct {
	login.StoredFactor
}

var _ login.Method = (*LoginMethod)(nil)

// ID implements login.Method.
func (*LoginMethod) ID() string { return ID }

// Available implements login.Method: for an identity with at least one unused code. Codes
// that are all used up are no second factor: offering them would make an aal2 login nobody
// can pass, and counting them (see identity.Factors) would demand that login for good.
func (*LoginMethod) Available(ident *identity.Identity) bool {
	if ident == nil {
		return false
	}
	cfg, ok, err := readConfig(ident)
	if !ok || err != nil {
		return false
	}
	for _, c := range cfg.RecoveryCodes {
		if c.UsedAt == nil {
			return true
		}
	}
	return false
}

// Nodes implements login.Method: the code input and the "Use backup recovery code" button.
func (*LoginMethod) Nodes(_ context.Context, f *login.Flow, _ *identity.Identity) error {
	l := text.New(text.InfoLoginLookupLabel, nil)
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupLookup, flow.InputAttributes{Name: "lookup_secret", Type: flow.InputText, Required: true}, &l),
		flow.NewSubmit(flow.GroupLookup, ID, text.New(text.InfoLoginLookup, nil)),
	)
	return nil
}

// Authenticate implements login.Method: an unused code of the identity; its use is stored
// (through the identity's optimistic version) before it counts, so it works exactly once.
func (m *LoginMethod) Authenticate(ctx context.Context, _ *http.Request, _ *login.Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error) {
	fail := func(id int) error {
		return &flow.FormError{Messages: []text.Message{text.New(id, nil)}}
	}
	code, err := m.Code(ident, body, "lookup_secret")
	if err != nil {
		return nil, err
	}
	cfg, ok, err := readConfig(ident)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	if !ok {
		return nil, fail(text.ErrorValidationNoLookup)
	}
	i := cfg.match(code)
	if i < 0 {
		return nil, fail(text.ErrorValidationLookupInvalid)
	}
	if cfg.RecoveryCodes[i].UsedAt != nil {
		return nil, fail(text.ErrorValidationLookupAlreadyUsed)
	}
	now := m.Now()
	used := now.UTC().Round(time.Second)
	cfg.RecoveryCodes[i].UsedAt = &used
	if err := writeConfig(ident, cfg, now.UTC()); err != nil {
		return nil, err
	}
	if err := m.Record(ctx, ident, fail(text.ErrorValidationLookupAlreadyUsed), "recovery code"); err != nil {
		return nil, err
	}
	return ident, nil
}
