package oidctest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// AppClients are the provider's other clients: mobile apps that sign in with the provider's
// SDK and hand their ID token to Portico (native sign-in).
var AppClients = []string{"mobile-app", "other-app"}

const (
	appSecret   = "app-secret"
	appRedirect = "http://127.0.0.1:1/app-callback"
)

// IDToken signs the chosen person in at the provider as the app client (an authorisation
// code flow with nonce, as a provider SDK does) and returns the ID token it is issued.
func (p *Provider) IDToken(t testing.TB, client, nonce string) string {
	t.Helper()
	raw, err := p.idToken(client, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (p *Provider) idToken(client, nonce string) (string, error) {
	ctx := context.Background()
	disco, err := gooidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		return "", err
	}
	oc := &oauth2.Config{ClientID: client, ClientSecret: appSecret, Endpoint: disco.Endpoint(), RedirectURL: appRedirect, Scopes: []string{"openid", "email", "profile"}}
	verifier := oauth2.GenerateVerifier()
	next := oc.AuthCodeURL("app-state", oauth2.SetAuthURLParam("nonce", nonce), oauth2.S256ChallengeOption(verifier))
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for range 10 {
		res, err := hc.Get(next)
		if err != nil {
			return "", err
		}
		res.Body.Close()
		base, _ := url.Parse(next)
		loc, err := base.Parse(res.Header.Get("Location"))
		if err != nil || res.Header.Get("Location") == "" {
			return "", fmt.Errorf("provider at %s: %d", next, res.StatusCode)
		}
		next = loc.String()
		if strings.HasPrefix(next, appRedirect) {
			tok, err := oc.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				return "", err
			}
			raw, _ := tok.Extra("id_token").(string)
			return raw, nil
		}
	}
	return "", errors.New("the provider never sent the app back")
}

// PorticoConfig is the YAML that switches Portico's oidc method on with one generic provider,
// "corp" (label "Corp ID"), at this provider, mapping claims with the Jsonnet mapper; native
// apps' ID tokens for AppClients[0] are accepted too. After ProxyTokens, token_url is the proxy.
func (p *Provider) PorticoConfig(mapper string) string {
	tokenURL := ""
	if p.proxy != nil {
		tokenURL = `
            token_url: ` + p.TokenURL()
	}
	return `
selfservice:
  methods:
    oidc:
      enabled: true
      config:
        providers:
          - id: corp
            provider: generic
            label: Corp ID
            client_id: ` + p.ClientID + `
            client_secret: ` + p.ClientSecret + `
            issuer_url: ` + p.Issuer + `
            additional_id_token_audiences: [` + AppClients[0] + `]
            mapper_url: base64://` + base64.StdEncoding.EncodeToString([]byte(mapper)) + tokenURL + `
`
}
