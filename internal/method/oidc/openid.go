package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// openID is a provider that speaks OpenID Connect: endpoints and keys by discovery from the
// issuer, claims from the verified ID token (and the user info endpoint when claims_source is
// userinfo). generic, google, microsoft, gitlab, auth0, keycloak, slack and linkedin are this with a
// default issuer and a few checks of their own.
type openID struct {
	cfg    ProviderConfig
	client *http.Client
	issuer string
	// skipIssuer is set for Microsoft's multi-tenant issuers, checked against tid instead.
	skipIssuer bool

	// mu guards disco, refreshing and failedAt and is never held across a network call, so a
	// page that reads the endpoint never waits for the provider; fetch serialises discoveries.
	mu    sync.Mutex
	fetch sync.Mutex
	disco *gooidc.Provider // discovered once, retried after a failure
	// refreshing is set while a discovery for the pages' form-action runs in the background;
	// failedAt is when the last one failed: pages start none within formDiscoveryRetry of it,
	// so a provider that is down is not asked on every page view.
	refreshing bool
	failedAt   time.Time
}

// formDiscoveryRetry is how long pages use the issuer's origin after a background discovery
// failed before they start another.
const formDiscoveryRetry = 30 * time.Second

func newOpenID(p ProviderConfig, client *http.Client) *openID {
	o := &openID{cfg: p, client: client, issuer: strings.TrimSuffix(p.IssuerURL, "/")}
	switch p.Provider {
	case "google":
		o.issuer = defaultString(o.issuer, "https://accounts.google.com")
	case "gitlab":
		o.issuer = defaultString(o.issuer, "https://gitlab.com")
	case "slack":
		o.issuer = defaultString(o.issuer, "https://slack.com")
	case "linkedin":
		o.issuer = defaultString(o.issuer, "https://www.linkedin.com/oauth")
	case "microsoft":
		if o.issuer == "" {
			o.issuer = "https://login.microsoftonline.com/" + p.MicrosoftTenant + "/v2.0"
		}
		// Only a tenant id has one issuer; common, organizations and consumers discover a
		// template ({tenantid}) and every token names its own tenant.
		o.skipIssuer = !isTenantID(p.MicrosoftTenant)
	}
	return o
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// isTenantID reports whether a Microsoft tenant is a tenant's own id (a GUID) rather than
// one of the shared names.
func isTenantID(t string) bool {
	switch t {
	case "", "common", "organizations", "consumers":
		return false
	}
	return true
}

func (o *openID) Config() *ProviderConfig { return &o.cfg }

func (o *openID) ctx(ctx context.Context) context.Context {
	ctx = gooidc.ClientContext(ctx, o.client)
	if o.skipIssuer {
		ctx = gooidc.InsecureIssuerURLContext(ctx, o.issuer)
	}
	return ctx
}

// discover returns the provider's discovery document, fetched on first use.
func (o *openID) discover(ctx context.Context) (*gooidc.Provider, error) {
	if p := o.discovered(); p != nil {
		return p, nil
	}
	o.fetch.Lock()
	defer o.fetch.Unlock()
	if p := o.discovered(); p != nil {
		return p, nil
	}
	p, err := gooidc.NewProvider(o.ctx(ctx), o.issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", o.issuer, err)
	}
	o.mu.Lock()
	o.disco = p
	o.mu.Unlock()
	return p, nil
}

// discovered is the discovery document fetched so far (nil: none yet).
func (o *openID) discovered() *gooidc.Provider {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.disco
}

// authorizationEndpoint is where the provider's authorisation requests go: the endpoint its
// discovery names, or its issuer while it is not discovered. It never fetches: a page view
// calls it, and a slow or hanging provider must not slow every page. While undiscovered it
// starts a discovery in the background (see warm) so that later pages name the endpoint.
func (o *openID) authorizationEndpoint() string {
	p := o.discovered()
	if p == nil {
		o.warm()
	}
	if p == nil || p.Endpoint().AuthURL == "" {
		return o.issuer
	}
	return p.Endpoint().AuthURL
}

// warm starts discovering the provider in the background unless it is discovered, a discovery
// for pages is already running, or the last one failed within formDiscoveryRetry. The server
// warms every OpenID provider when it builds the strategy, so that the first page already
// names the authorisation endpoint's origin (which may differ from the issuer's, as Cognito's).
func (o *openID) warm() {
	o.mu.Lock()
	start := o.disco == nil && !o.refreshing && time.Since(o.failedAt) >= formDiscoveryRetry
	if start {
		o.refreshing = true
	}
	o.mu.Unlock()
	if !start {
		return
	}
	go func() {
		// Bounded by the client's timeout; not by a request, which may end first.
		_, err := o.discover(context.Background())
		o.mu.Lock()
		o.refreshing = false
		if err != nil {
			o.failedAt = time.Now()
		}
		o.mu.Unlock()
	}()
}

func (o *openID) OAuth2(ctx context.Context) (*oauth2.Config, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	return oauth2Config(&o.cfg, p.Endpoint(), gooidc.ScopeOpenID, "email", "profile"), nil
}

func (o *openID) AuthOptions() []oauth2.AuthCodeOption { return nil }

func (o *openID) Claims(ctx context.Context, tok *oauth2.Token, nonce string) (*Claims, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, claimsError("the provider sent no ID token")
	}
	idt, err := o.verify(ctx, raw, nonce, nil)
	if err != nil {
		return nil, err
	}
	var claims json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return nil, claimsError("read the ID token's claims: %v", err)
	}
	c, err := claimsFromJSON(claims)
	if err != nil {
		return nil, claimsError("%v", err)
	}
	if o.cfg.ClaimsSource == "userinfo" {
		if c, err = o.userInfo(ctx, tok, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// verify checks an ID token: signature by the provider's keys, issuer, audience (the client
// id, or one of audiences when set), expiry and nonce.
func (o *openID) verify(ctx context.Context, raw, nonce string, audiences []string) (*gooidc.IDToken, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	vc := &gooidc.Config{ClientID: o.cfg.ClientID, SkipIssuerCheck: o.skipIssuer}
	if len(audiences) > 0 {
		vc = &gooidc.Config{SkipClientIDCheck: true, SkipIssuerCheck: o.skipIssuer}
	}
	idt, err := p.Verifier(vc).Verify(o.ctx(ctx), raw)
	if err != nil {
		return nil, claimsError("the ID token is not valid: %v", err)
	}
	if len(audiences) > 0 && !anyAudience(idt.Audience, audiences) {
		return nil, claimsError("the ID token is not valid: audience %v is not accepted", idt.Audience)
	}
	if idt.Nonce != nonce {
		return nil, claimsError("the ID token's nonce does not match the authorisation request")
	}
	if o.skipIssuer {
		if err := checkMicrosoftIssuer(idt); err != nil {
			return nil, err
		}
	}
	if idt.Subject == "" {
		return nil, claimsError("the ID token has no subject")
	}
	return idt, nil
}

func anyAudience(got, accepted []string) bool {
	for _, g := range got {
		for _, a := range accepted {
			if g == a {
				return true
			}
		}
	}
	return false
}

// checkMicrosoftIssuer checks a multi-tenant token's issuer against its own tenant id.
func checkMicrosoftIssuer(idt *gooidc.IDToken) error {
	var c struct {
		TID string `json:"tid"`
	}
	if err := idt.Claims(&c); err != nil {
		return claimsError("read the ID token's tenant: %v", err)
	}
	return microsoftIssuer(idt.Issuer, c.TID)
}

// microsoftIssuer: the issuer must be Microsoft's for exactly the token's tenant.
func microsoftIssuer(iss, tid string) error {
	if tid == "" {
		return claimsError("the ID token has no tenant id")
	}
	if want := "https://login.microsoftonline.com/" + tid + "/v2.0"; iss != want {
		return claimsError("the ID token's issuer %q is not the one of its tenant", iss)
	}
	return nil
}

// userInfo merges the user info endpoint's claims over the ID token's (the subject must be
// the same).
func (o *openID) userInfo(ctx context.Context, tok *oauth2.Token, c *Claims) (*Claims, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	ui, err := p.UserInfo(o.ctx(ctx), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, claimsError("read user info: %v", err)
	}
	if ui.Subject != c.Subject {
		return nil, claimsError("the user info's subject is not the ID token's")
	}
	var raw json.RawMessage
	if err := ui.Claims(&raw); err != nil {
		return nil, claimsError("read user info: %v", err)
	}
	merged, err := claimsFromJSON(raw)
	if err != nil {
		return nil, claimsError("%v", err)
	}
	merged.Issuer = c.Issuer
	return merged, nil
}
