package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/seal"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// ID is the method's name: its submit value, node group and credentials type.
const ID = "oidc"

// CredentialsType is the type of the credential holding an identity's linked providers.
const CredentialsType identity.CredentialsType = "oidc"

// Identities finds and loads identities (satisfied by the store).
type Identities interface {
	FindByCredentialsIdentifier(ctx context.Context, t identity.CredentialsType, identifier string) (*identity.Identity, error)
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	FindByVerifiableAddress(ctx context.Context, via, value string) (*identity.Identity, error)
}

// Manager creates and updates identities (satisfied by *identity.Manager).
type Manager interface {
	Create(ctx context.Context, id *identity.Identity, opts identity.CreateOptions) error
	Update(ctx context.Context, id *identity.Identity) error
}

// Strategy is the oidc method: the configured providers and what the login and registration
// flows and the callback share.
type Strategy struct {
	providers []Provider
	byID      map[string]Provider
	mappers   map[string]*Mapper

	States *States
	// Links are the provider accounts waiting on login flows for an existing identity to sign
	// in (safe account linking); the server sets their collaborators.
	Links      *Links
	CSRF       *flow.CSRF
	Identities Identities
	Manager    Manager
	Schemas    identity.Schemas
	// Tokens seals the provider's tokens kept in the credential.
	Tokens *seal.Sealer
	// Login and Registration finish their flows after the callback.
	Login        *login.Handler
	Registration *registration.Handler
	// Settings finishes a link after the callback (nil: no link in settings).
	Settings *settings.Handler
	// Factors are the server's sign-in methods: an account is offered for unlinking only when
	// the identity keeps a way to sign in without it.
	Factors *identity.Factors
	// RedirectBase is the base of the callback URL given to providers (the public base URL,
	// or selfservice.methods.oidc.config.base_redirect_uri).
	RedirectBase *url.URL
	// Now and Log are required (the server sets its clock and logger).
	Now func() time.Time
	Log *slog.Logger
}

// NewStrategy builds the providers (in configuration order) and loads their mappers; client
// makes every call to the providers (nil: a 10-second timeout). secrets seal the state's
// secrets and the upstream tokens.
func NewStrategy(ctx context.Context, providers []ProviderConfig, client *http.Client, flows store.Flows, secrets []string) (*Strategy, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Strategy{
		byID: map[string]Provider{}, mappers: map[string]*Mapper{},
		States: &States{Flows: flows, Sealer: seal.New(sealPurposeState, secrets)},
		Tokens: seal.New(sealPurposeTokens, secrets),
		Links:  &Links{Flows: flows, Sealer: seal.New(sealPurposeLink, secrets)},
	}
	for _, pc := range providers {
		p, err := New(pc, client)
		if err != nil {
			return nil, err
		}
		m, err := LoadMapper(ctx, pc.MapperURL, client)
		if err != nil {
			return nil, err
		}
		if o, ok := p.(*openID); ok && pc.AuthURL == "" {
			o.warm() // the pages' form-action names the discovered endpoint (FormOrigins)
		}
		s.providers = append(s.providers, p)
		s.byID[pc.ID] = p
		s.mappers[pc.ID] = m
	}
	return s, nil
}

// Providers are the configured providers in configuration order.
func (s *Strategy) Providers() []Provider { return s.providers }

func (s *Strategy) now() time.Time { return s.Now().UTC() }

// CallbackURL is the redirect URI registered at the provider.
func (s *Strategy) CallbackURL(provider string) string {
	return flow.JoinPath(s.RedirectBase, "/self-service/methods/oidc/callback/"+url.PathEscape(provider))
}

// claims is Kratos's rule for the oidc method's login and registration buttons, which submit
// "provider" without "method" (flow.Claimer).
func claims(body form.Values) bool { return body.String("provider") != "" }

// label is the provider's label, or its id.
func label(p Provider) string {
	if l := p.Config().Label; l != "" {
		return l
	}
	return p.Config().ID
}

// providerNode is the submit button of one provider (Kratos's "provider" node).
func providerNode(p Provider, msgID int) flow.Node {
	l := text.New(msgID, map[string]any{"provider": label(p), "provider_id": p.Config().ID})
	return flow.NewInput(flow.GroupOIDC, flow.InputAttributes{Name: "provider", Type: flow.InputSubmit, Value: p.Config().ID}, &l)
}

// browserLocationChange is Kratos's answer to an SPA that must send the browser to url.
func browserLocationChange(to string) error {
	return (&apierr.Error{
		ID: "browser_location_change_required", Code: http.StatusUnprocessableEntity,
		Status: http.StatusText(http.StatusUnprocessableEntity), Message: "browser location change required",
		Reason: "In order to complete this flow please redirect the browser to: " + to,
	}).WithRedirect(to)
}

// errUnknownProvider is a submission naming no configured provider.
func errUnknownProvider(id string) *flow.FormError {
	return flow.NewFormError(text.NewGeneric(fmt.Sprintf("The provider %q is not configured.", flow.Echo(id))))
}

// stateGrace is how long a pending authorisation request outlives its flow.
const stateGrace = 15 * time.Minute

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// start stores a pending authorisation request for flow b and answers with the provider's
// authorisation URL: a redirect for a browser, browser_location_change_required for an SPA
// (the Responder decides: both go through the error's redirect_browser_to).
func (s *Strategy) start(ctx context.Context, r *http.Request, b *flow.Base, kind, providerID string, link uuid.UUID) error {
	p, ok := s.byID[providerID]
	if !ok {
		return errUnknownProvider(providerID)
	}
	browser, ok := s.CSRF.Bind(r, kind+"\x00"+b.ID.String())
	if !ok {
		return flow.ErrCSRF
	}
	oc, err := p.OAuth2(ctx)
	if err != nil {
		return s.providerFailure(ctx, p, err)
	}
	oc.RedirectURL = s.CallbackURL(providerID)
	st := &state{FlowID: b.ID, FlowKind: kind, Provider: providerID, Browser: browser, Link: link,
		secrets: stateSecrets{Verifier: oauth2.GenerateVerifier(), Nonce: randomString(24)}}
	// The state outlives the flow a little, so that a person who took too long at the
	// provider is told the flow expired (and given a new one) rather than shown an error.
	param, err := s.States.Begin(ctx, st, b.ExpiresAt.Add(stateGrace))
	if err != nil {
		return err
	}
	opts := append([]oauth2.AuthCodeOption{oauth2.SetAuthURLParam("nonce", st.secrets.Nonce)}, p.AuthOptions()...)
	if p.Config().PKCE != "never" {
		opts = append(opts, oauth2.S256ChallengeOption(st.secrets.Verifier))
	}
	if rc := p.Config().RequestedClaims; rc != nil {
		if raw, err := jsonString(rc); err == nil {
			opts = append(opts, oauth2.SetAuthURLParam("claims", raw))
		}
	}
	return browserLocationChange(oc.AuthCodeURL(param, opts...))
}

// providerFailure is a provider's failure as a message on the flow: the person can try again
// or choose another way; the cause goes to the log (never to the person: it may quote the
// provider's reply).
func (s *Strategy) providerFailure(ctx context.Context, p Provider, err error) *flow.FormError {
	if s.Log != nil {
		s.Log.WarnContext(ctx, "oidc provider failure", "provider", p.Config().ID, "error", err)
	}
	return flow.NewFormError(text.NewGeneric(fmt.Sprintf("Unable to complete the sign-in with %s: the provider's answer could not be used. Please try again.", label(p))))
}
