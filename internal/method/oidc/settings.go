package oidc

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// SettingsMethod links and unlinks provider accounts in the settings flow (Kratos's "link"
// and "unlink" buttons of the oidc group). Both need a privileged session. A link sends the
// browser to the provider; the callback finishes it on the same settings flow.
type SettingsMethod struct{ *Strategy }

var (
	_ settings.Method  = SettingsMethod{}
	_ settings.Claimer = SettingsMethod{}
)

// Kratos's messages for a link or unlink it cannot do.
const (
	msgCannotLink   = "can not link unknown or already existing OpenID Connect connection"
	msgCannotUnlink = "can not unlink non-existing OpenID Connect connection"
)

// ID implements settings.Method.
func (SettingsMethod) ID() string { return ID }

// Claims implements settings.Claimer: Kratos's link and unlink buttons submit no method.
func (SettingsMethod) Claims(b form.Values) bool {
	return b.String("link") != "" || b.String("unlink") != ""
}

// Nodes implements settings.Method: a "link" button per configured provider, and an "unlink"
// button per linked account the identity can do without (none for its last way to sign in,
// as Kratos shows none). Unlike Kratos, a provider already linked keeps its link button, so a
// second account at the same provider can be linked (Kratos #3909); the unlink button of an
// account at a provider with several linked accounts names the account
// ("<provider>:<subject>"), otherwise the provider.
func (m SettingsMethod) Nodes(_ context.Context, f *settings.Flow, ident *identity.Identity) error {
	for _, p := range m.providers {
		f.UI.Nodes.Append(settingsNode("link", p.Config().ID, text.InfoSettingsLinkProvider, label(p)))
	}
	cfg, err := ReadConfig(ident)
	if err != nil {
		return err
	}
	for _, a := range cfg.Providers {
		p, ok := m.byID[a.Provider]
		if !ok || !m.canUnlink(ident, a) {
			continue
		}
		f.UI.Nodes.Append(settingsNode("unlink", unlinkValue(cfg, a), text.InfoSettingsUnlinkProvider, label(p)))
	}
	return nil
}

func settingsNode(name, value string, msgID int, providerLabel string) flow.Node {
	l := text.New(msgID, map[string]any{"provider": providerLabel})
	return flow.NewInput(flow.GroupOIDC, flow.InputAttributes{Name: name, Type: flow.InputSubmit, Value: value}, &l)
}

// unlinkValue is the value of account a's unlink button: its provider, or its identifier when
// the identity has several accounts at that provider.
func unlinkValue(cfg *CredentialConfig, a LinkedProvider) string {
	n := 0
	for _, p := range cfg.Providers {
		if p.Provider == a.Provider {
			n++
		}
	}
	if n > 1 {
		return Identifier(a.Provider, a.Subject)
	}
	return a.Provider
}

// canUnlink reports whether ident keeps a way to sign in without account a.
func (m SettingsMethod) canUnlink(ident *identity.Identity, a LinkedProvider) bool {
	if m.Factors == nil {
		return false
	}
	c := *ident
	c.Credentials = make(map[identity.CredentialsType]identity.Credentials, len(ident.Credentials))
	for t, cr := range ident.Credentials {
		c.Credentials[t] = cr
	}
	if _, err := removeAccount(&c, a.Provider, a.Subject, m.now()); err != nil {
		return false
	}
	return len(m.Factors.FirstFactors(&c)) > 0
}

// Update implements settings.Method: link=<provider> starts a link at the provider (a native
// app's flow links the ID token it submits instead), unlink=<provider or identifier> removes
// the account. Both need a privileged session.
func (m SettingsMethod) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	linkID, unlinkID := sub.Body.String("link"), sub.Body.String("unlink")
	if linkID == "" && unlinkID == "" {
		return refuse(f, flow.NewFormError(text.New(text.ErrorValidationSettingsNoStrategy, nil)))
	}
	if err := sub.RequirePrivileged(); err != nil {
		return err
	}
	if unlinkID != "" {
		return m.unlink(ctx, f, sub, unlinkID)
	}
	if _, ok := m.byID[linkID]; !ok {
		return refuse(f, flow.NewFormError(text.NewGeneric(msgCannotLink)))
	}
	if f.Type == flow.TypeAPI {
		p, c, err := m.native(ctx, linkID, sub.Body)
		if err != nil {
			return refuse(f, err)
		}
		return m.addToSettings(ctx, f, sub, p, c, nil)
	}
	return refuse(f, m.start(ctx, sub.Request, &f.Base, settings.Kind, linkID, sub.Identity.ID))
}

// unlink removes the account value names (a provider with one linked account, or an
// identifier) when the identity keeps a way to sign in without it.
func (m SettingsMethod) unlink(ctx context.Context, f *settings.Flow, sub *settings.Submission, value string) error {
	cfg, err := ReadConfig(sub.Identity)
	if err != nil {
		return err
	}
	for _, a := range cfg.Providers {
		if _, ok := m.byID[a.Provider]; !ok || unlinkValue(cfg, a) != value || !m.canUnlink(sub.Identity, a) {
			continue
		}
		if _, err := removeAccount(sub.Identity, a.Provider, a.Subject, m.now()); err != nil {
			return err
		}
		return sub.Save(ctx, sub.Identity)
	}
	return refuse(f, flow.NewFormError(text.NewGeneric(msgCannotUnlink)))
}

// finishSettings completes a link after the provider's callback, on the settings flow that
// started it, for the session of the identity that started it (still privileged).
func (s *Strategy) finishSettings(w *flow.Responder, r *http.Request, p Provider, st *state) error {
	if s.Settings == nil {
		return ErrInvalidState
	}
	m := SettingsMethod{s}
	return s.Settings.Continue(w, r, st.FlowID, m, func(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
		if sub.Identity.ID != st.Link {
			return ErrInvalidState
		}
		if err := sub.RequirePrivileged(); err != nil {
			return err
		}
		tok, c, err := s.exchange(ctx, r, p, st)
		if err != nil {
			return refuse(f, err)
		}
		return m.addToSettings(ctx, f, sub, p, c, tok)
	})
}

// addToSettings links provider account c to the submission's identity and stores it: an
// account linked already (to this identity or another) is refused with Kratos's messages.
func (m SettingsMethod) addToSettings(ctx context.Context, f *settings.Flow, sub *settings.Submission, p Provider, c *Claims, tok *oauth2.Token) error {
	id := Identifier(p.Config().ID, c.Subject)
	owner, err := m.Identities.FindByCredentialsIdentifier(ctx, CredentialsType, id)
	switch {
	case err == nil && owner.ID == sub.Identity.ID:
		return refuse(f, flow.NewFormError(text.NewGeneric(msgCannotLink)))
	case err == nil:
		return refuse(f, flow.NewFormError(text.New(text.ErrorValidationDuplicateCredentialsOnOIDCLink, nil)))
	case !errors.Is(err, apierr.ErrNotFound):
		return err
	}
	if err := m.link(sub.Identity, p.Config().ID, c.Subject, tok, m.now()); err != nil {
		return err
	}
	err = sub.Save(ctx, sub.Identity)
	if errors.Is(err, apierr.ErrConflict) {
		// Linked to another identity in the meantime.
		return refuse(f, flow.NewFormError(text.New(text.ErrorValidationDuplicateCredentialsOnOIDCLink, nil)))
	}
	return err
}

// refuse puts a form error's messages on settings flow f and returns settings.ErrInvalid;
// any other error is returned as it is.
func refuse(f *settings.Flow, err error) error {
	fe, ok := flow.AsFormError(err)
	if !ok {
		return err
	}
	f.UI.AddMessage(fe.Messages...)
	for name, ms := range fe.Nodes {
		if !f.UI.Nodes.AddMessage(name, ms...) {
			f.UI.AddMessage(ms...)
		}
	}
	return settings.ErrInvalid
}
