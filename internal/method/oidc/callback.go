package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// ErrInvalidState answers a callback whose state is unknown, expired, used, for another
// provider or started in another browser: nothing says which flow it belongs to, so it is an
// error page, not a flow message.
var ErrInvalidState = apierr.ErrBadRequest.WithReason("The OpenID Connect state is invalid, has expired or was already used, or the sign-in was started in another browser. Please start again.")

// Register adds the provider callback to the public mux: GET for every provider, POST for
// the ones that answer with a form post (Apple).
func (s *Strategy) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/methods/oidc/callback/{provider}", s.Login.Replies.Handler("", s.callback))
	mux.HandleFunc("POST /self-service/methods/oidc/callback/{provider}", s.Login.Replies.Handler("", s.formPost))
}

// callbackParams are the parameters of an authorisation response that are passed on.
var callbackParams = []string{"code", "state", "error", "error_description", "user"}

// formPost turns a provider's form_post callback (a cross-site POST: no SameSite=Lax cookie
// comes with it, so the browser cannot be recognised) into a GET of the same callback by a
// 303: that is a top-level navigation, which carries the browser's SameSite=Lax CSRF cookie.
// The response's parameters travel in the query, as they do for every other provider.
func (s *Strategy) formPost(w *flow.Responder, r *http.Request) error {
	if _, ok := s.byID[r.PathValue("provider")]; !ok {
		return errNoProvider
	}
	body, err := form.Decode(r)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, k := range callbackParams {
		if v := body.String(k); v != "" {
			q.Set(k, v)
		}
	}
	return w.Redirect(s.CallbackURL(r.PathValue("provider")) + "?" + q.Encode())
}

// errNoProvider answers a callback for a provider id that is not configured.
var errNoProvider = apierr.ErrNotFound.WithReason("No OpenID Connect provider with this id is configured.")

// callback answers the provider's redirect back.
func (s *Strategy) callback(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	p, ok := s.byID[r.PathValue("provider")]
	if !ok {
		return errNoProvider
	}
	q := r.URL.Query()
	st, err := s.States.Consume(ctx, q.Get("state"), func(st *state) []byte {
		b, _ := s.CSRF.Bind(r, st.FlowKind+"\x00"+st.FlowID.String())
		return b
	}, s.now())
	if errors.Is(err, ErrNoState) {
		return ErrInvalidState
	}
	if err != nil {
		return err
	}
	if st.Provider != p.Config().ID {
		return ErrInvalidState
	}
	switch st.FlowKind {
	case login.Kind:
		return s.finishLogin(w, r, p, st)
	case registration.Kind:
		return s.finishRegistration(w, r, p, st)
	case settings.Kind:
		return s.finishSettings(w, r, p, st)
	}
	return ErrInvalidState
}

// exchange turns the callback's code into tokens and claims. A provider error, a failed
// exchange or a token that does not verify is a form error for the flow.
func (s *Strategy) exchange(ctx context.Context, r *http.Request, p Provider, st *state) (*oauth2.Token, *Claims, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return nil, nil, flow.NewFormError(text.NewGeneric(fmt.Sprintf("%s did not sign you in: %s. Please try again or choose another way.", label(p), flow.Echo(e))))
	}
	code := q.Get("code")
	if code == "" {
		return nil, nil, s.providerFailure(ctx, p, errors.New("the callback has no code"))
	}
	oc, err := p.OAuth2(ctx)
	if err != nil {
		return nil, nil, s.providerFailure(ctx, p, err)
	}
	oc.RedirectURL = s.CallbackURL(p.Config().ID)
	opts := []oauth2.AuthCodeOption{}
	if p.Config().PKCE != "never" {
		opts = append(opts, oauth2.VerifierOption(st.secrets.Verifier))
	}
	tok, err := oc.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, nil, s.providerFailure(ctx, p, fmt.Errorf("exchange the code: %w", err))
	}
	c, err := p.Claims(ctx, tok, st.secrets.Nonce)
	if err != nil {
		return nil, nil, s.providerFailure(ctx, p, err)
	}
	if a, ok := p.(*apple); ok {
		a.callbackClaims(q, c)
	}
	if c.Subject == "" {
		return nil, nil, s.providerFailure(ctx, p, errors.New("the claims have no subject"))
	}
	return tok, c, nil
}

func (s *Strategy) finishLogin(w *flow.Responder, r *http.Request, p Provider, st *state) error {
	ctx := r.Context()
	f := &login.Flow{}
	if _, err := s.Login.Load(ctx, st.FlowID.String(), f); err != nil {
		return err
	}
	w.SetType(f.Type)
	if f.Expired(s.now()) {
		return s.Login.Restart(w, r, f)
	}
	sess, err := s.Login.Session(r)
	if err != nil {
		return err
	}
	f.UI.ResetMessages()
	rctx := ctx
	if sess == nil {
		// A sign-in that creates the identity is a sign-up: the registration's oidc after
		// hooks that may refuse or change it run before it is stored, as on the registration
		// flow, so an app that refuses some sign-ups is not passed by signing in instead; the
		// identity it creates is recorded as a sign_up, as on the registration flow.
		rctx = s.signUpContext(r, f)
	}
	ident, err := s.resolve(rctx, r, p, st, sess == nil)
	var lr *linkRequired
	if errors.As(err, &lr) && sess == nil {
		fe, aerr := s.askToLink(ctx, r, f, lr)
		if aerr != nil {
			return aerr
		}
		return s.Login.Invalid(w, r, f, nil, fe)
	}
	if fe, ok := flow.AsFormError(err); ok || lr != nil {
		if !ok {
			fe = flow.NewFormError(text.New(text.ErrorValidationDuplicateCredentialsOnOIDCLink, nil))
		}
		return s.Login.Invalid(w, r, f, nil, fe)
	}
	if err != nil {
		return err
	}
	// The refusals below are on an identity that is known: recorded as failed sign-ins.
	if sess != nil && (f.Refresh || f.RequestedAAL != "aal1") && sess.IdentityID != ident.ID {
		return s.Login.Refuse(w, r, f, ID, sess, login.Refused(sess.IdentityID, login.ErrInvalidCredentials()))
	}
	if sess == nil {
		// A flow waiting for an existing identity to sign in (safe account linking) accepts
		// that identity only, and links the waiting account to it (Kratos #3439: an identity
		// that signs in with a provider account of its own).
		target, err := s.Links.Target(ctx, r, f)
		if err != nil {
			return err
		}
		if target != nil && *target != ident.ID {
			return s.Login.Refuse(w, r, f, ID, nil, login.Refused(*target, login.ErrInvalidCredentials()))
		}
		if target != nil {
			err := s.Links.Complete(ctx, r, f, ident)
			if fe, ok := flow.AsFormError(err); ok {
				return s.Login.Invalid(w, r, f, nil, fe)
			}
			if err != nil {
				return err
			}
		}
	}
	return s.Login.Complete(w, r, f, LoginMethod{s}, sess, ident)
}

func (s *Strategy) finishRegistration(w *flow.Responder, r *http.Request, p Provider, st *state) error {
	ctx := r.Context()
	f := &registration.Flow{}
	if _, err := s.Registration.Load(ctx, st.FlowID.String(), f); err != nil {
		return err
	}
	w.SetType(f.Type)
	if !s.Registration.Enabled {
		return registration.ErrDisabled
	}
	if f.Expired(s.now()) {
		return s.Registration.Restart(w, r, f)
	}
	f.UI.ResetMessages()
	ident, err := s.resolve(s.signUpContext(r, f), r, p, st, true)
	var lr *linkRequired
	if errors.As(err, &lr) {
		// The person has an account already: a login flow asks them to sign in to it, then
		// links the provider account (never back to registration: no loop, Kratos #3785).
		return s.switchToLogin(w, r, f, lr)
	}
	if fe, ok := flow.AsFormError(err); ok {
		return s.Registration.Invalid(w, r, f, nil, fe)
	}
	if err != nil {
		return err
	}
	return s.Registration.Complete(w, r, f, RegistrationMethod{s}, ident)
}

// signUpContext is the context a social sign-up on flow f creates its identity with: the
// registration's after hooks of oidc that may refuse or change the sign-up run when the
// identity is created, before it is stored, as for a password sign-up; the sign_up audit event
// is attached after them (registration.Handler.Audited), so a sign-up a hook refuses holds no
// event that a later write made with the context could store.
func (s *Strategy) signUpContext(r *http.Request, f flow.Flow) context.Context {
	return s.Registration.Audited(s.Registration.PrePersist(r, f, ID), r, ID)
}

// resolve exchanges the code and returns the identity the provider account belongs to,
// creating it from the claims when none does and create is set.
func (s *Strategy) resolve(ctx context.Context, r *http.Request, p Provider, st *state, create bool) (*identity.Identity, error) {
	tok, c, err := s.exchange(ctx, r, p, st)
	if err != nil {
		return nil, err
	}
	return s.signInOrUp(ctx, p, c, tok, create)
}

// signInOrUp finds the identity of provider account c, or creates one when create is set
// (and registration is enabled).
func (s *Strategy) signInOrUp(ctx context.Context, p Provider, c *Claims, tok *oauth2.Token, create bool) (*identity.Identity, error) {
	id := Identifier(p.Config().ID, c.Subject)
	ident, err := s.Identities.FindByCredentialsIdentifier(ctx, CredentialsType, id)
	if err == nil {
		return ident, nil
	}
	if !errors.Is(err, apierr.ErrNotFound) {
		return nil, err
	}
	if !create || !s.Registration.Enabled {
		return nil, flow.NewFormError(text.New(text.ErrorValidationAccountNotFound, nil))
	}
	ident, err = s.create(ctx, p, c, tok)
	if errors.Is(err, apierr.ErrConflict) {
		// The same provider account signed up concurrently: sign in to the one that won.
		if found, ferr := s.Identities.FindByCredentialsIdentifier(ctx, CredentialsType, id); ferr == nil {
			return found, nil
		}
		// An identifier of the new identity is taken. When the provider vouches for the
		// address and an identity holds it, that identity may sign in and link the account.
		owner, addr, err := s.verifiedOwner(ctx, c)
		if err != nil {
			return nil, err
		}
		if owner != nil {
			account, err := s.account(owner.ID, p.Config().ID, c.Subject, tok)
			if err != nil {
				return nil, err
			}
			return nil, &linkRequired{Target: owner, Address: addr, Account: account, Label: label(p)}
		}
		return nil, flow.NewFormError(text.New(text.ErrorValidationDuplicateCredentialsOnOIDCLink, nil))
	}
	return ident, err
}

// switchToLogin answers a registration's callback for a provider account that may be linked
// to an existing identity: a new login flow of the same browser asks that identity to sign in.
func (s *Strategy) switchToLogin(w *flow.Responder, r *http.Request, reg *registration.Flow, lr *linkRequired) error {
	ctx := r.Context()
	f, err := s.Login.Start(w, r, reg.ReturnTo)
	if err != nil {
		return err
	}
	fe, err := s.askToLink(ctx, r, f, lr)
	if err != nil {
		return err
	}
	return s.Login.Invalid(w, r, f, nil, fe)
}
