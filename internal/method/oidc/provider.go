package oidc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Provider is one configured provider: where to send the browser, how to exchange the code,
// and how to read the person's claims afterwards.
type Provider interface {
	// Config is the provider's entry of selfservice.methods.oidc.config.providers.
	Config() *ProviderConfig
	// OAuth2 is the client configuration (endpoints, credentials, scopes); RedirectURL is
	// set by the caller.
	OAuth2(ctx context.Context) (*oauth2.Config, error)
	// AuthOptions are the provider's extra authorisation parameters (Apple's form_post).
	AuthOptions() []oauth2.AuthCodeOption
	// Claims reads the person's claims after the exchange: from the verified ID token
	// (whose nonce must be nonce) or from the provider's API.
	Claims(ctx context.Context, tok *oauth2.Token, nonce string) (*Claims, error)
}

// ErrClaims marks a provider's reply Portico cannot accept (a bad or missing ID token, a
// wrong nonce, no subject): shown on the flow as the provider's failure.
var ErrClaims = errors.New("oidc: the provider's reply was not accepted")

func claimsError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrClaims, fmt.Sprintf(format, args...))
}

// New builds the provider of a configuration entry. client makes the calls to the provider
// (discovery, token, user info); nil uses a client with a 10-second timeout.
func New(p ProviderConfig, client *http.Client) (Provider, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	switch p.Provider {
	case "github", "github-app":
		return newGitHub(p, client), nil
	case "facebook":
		return newFacebook(p, client), nil
	case "spotify":
		return newSpotify(p, client), nil
	case "amazon":
		return newAmazon(p, client), nil
	case "patreon":
		return newPatreon(p, client), nil
	case "yandex":
		return newYandex(p, client), nil
	case "discord":
		return newDiscord(p, client), nil
	case "apple":
		return newApple(p, client)
	case "generic", "google", "microsoft", "gitlab", "auth0", "keycloak", "slack", "linkedin":
		return newOpenID(p, client), nil
	}
	return nil, fmt.Errorf("oidc: unknown provider kind %q", p.Provider)
}

// maxAPIBytes bounds a provider API reply.
const maxAPIBytes = 1 << 20

// getJSON GETs url with the access token and returns the body of a 200 reply.
func getJSON(ctx context.Context, client *http.Client, tok *oauth2.Token, url string, extra http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	for k, v := range extra {
		req.Header[k] = v
	}
	// Errors name the endpoint without its query, which may carry a credential (Facebook's
	// appsecret_proof) and ends up in the logs.
	name, _, _ := strings.Cut(url, "?")
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", name, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAPIBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(body) > maxAPIBytes {
		return nil, claimsError("the reply of %s is larger than %d bytes", name, maxAPIBytes)
	}
	if res.StatusCode != http.StatusOK {
		return nil, claimsError("%s answered %d", name, res.StatusCode)
	}
	return body, nil
}

// oauth2Config is the client configuration of p at endpoint ep (auth_url and token_url
// replace its addresses when set), asking for the configured scope or def.
func oauth2Config(p *ProviderConfig, ep oauth2.Endpoint, def ...string) *oauth2.Config {
	if p.AuthURL != "" {
		ep.AuthURL = p.AuthURL
	}
	if p.TokenURL != "" {
		ep.TokenURL = p.TokenURL
	}
	sc := p.Scope
	if len(sc) == 0 {
		sc = def
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: ep, Scopes: sc}
}

// FormOrigins are where a browser's form submission with the oidc method is redirected: the
// providers' authorisation endpoints (auth_url when configured, else the authorisation
// endpoint an OpenID provider's discovery names, else the provider's fixed endpoint). A page
// whose Content-Security-Policy limits form-action must allow them, as browsers apply it to
// the redirect that follows a submission. The endpoint's origin may differ from the issuer's
// (Cognito, for one), so an OpenID provider's is the one its discovery names; FormOrigins is
// called on every page view and never fetches: the issuer's origin stands in until a
// discovery has succeeded (started when the strategy is built, and again in the background).
func (s *Strategy) FormOrigins(ctx context.Context) []string {
	var out []string
	for _, p := range s.providers {
		raw := p.Config().AuthURL
		if raw == "" {
			switch v := p.(type) {
			case *openID:
				raw = v.authorizationEndpoint()
			case *apple:
				raw = v.issuer
			default:
				// the OAuth2 kinds (github, discord, facebook, …): fixed endpoints, no discovery.
				if oc, err := p.OAuth2(ctx); err == nil {
					raw = oc.Endpoint.AuthURL
				}
			}
		}
		if u, err := url.Parse(raw); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			out = append(out, u.Scheme+"://"+u.Host)
		}
	}
	return out
}
