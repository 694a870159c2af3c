package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// restProvider is an OAuth2 provider without OpenID Connect whose claims come from its REST
// API: github-app aside, the kinds of this file's siblings (facebook, spotify, amazon,
// patreon, yandex) are one of these with their endpoints and a reader of their API's reply.
type restProvider struct {
	cfg    ProviderConfig
	client *http.Client
	// api is the base of the provider's API; issuer_url replaces it (tests, proxies).
	api    string
	ep     oauth2.Endpoint
	scopes []string
	read   func(ctx context.Context, r *restProvider, tok *oauth2.Token) (*Claims, error)
}

func newREST(p ProviderConfig, client *http.Client, api string, ep oauth2.Endpoint, scopes []string,
	read func(context.Context, *restProvider, *oauth2.Token) (*Claims, error)) *restProvider {
	return &restProvider{cfg: p, client: client, api: defaultString(p.IssuerURL, api), ep: ep, scopes: scopes, read: read}
}

func (r *restProvider) Config() *ProviderConfig { return &r.cfg }

func (r *restProvider) OAuth2(context.Context) (*oauth2.Config, error) {
	return oauth2Config(&r.cfg, r.ep, r.scopes...), nil
}

func (r *restProvider) AuthOptions() []oauth2.AuthCodeOption { return nil }

func (r *restProvider) Claims(ctx context.Context, tok *oauth2.Token, _ string) (*Claims, error) {
	return r.read(ctx, r, tok)
}

// get calls path (with its query) on the provider's API and decodes the reply into v; raw
// is every field of the reply, for raw_claims.
func (r *restProvider) get(ctx context.Context, tok *oauth2.Token, path string, h http.Header, v any) (map[string]any, error) {
	body, err := getJSON(ctx, r.client, tok, r.api+path, h)
	if err != nil {
		return nil, err
	}
	path, _, _ = strings.Cut(path, "?")
	if len(body) > maxClaimsBytes {
		return nil, claimsError("the reply of %s is larger than %d bytes", path, maxClaimsBytes)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, claimsError("the reply of %s is not a JSON object", path)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, claimsError("the reply of %s has an unexpected shape", path)
	}
	return raw, nil
}
