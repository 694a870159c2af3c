package oidctest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// tokenProxy is a reverse proxy in front of the provider's token endpoint. It forwards every
// exchange to the real endpoint; while swapFor names another client, it replaces the ID token
// of the reply with one the provider really issued to that client for the same person and
// nonce (validly signed, its audience that client's id), as a provider that mixes up its
// clients' tokens, or an attacker in the token reply's path, would send.
type tokenProxy struct {
	srv *httptest.Server

	mu      sync.Mutex
	swapFor string
	swapped []string
}

// ProxyTokens, called before Start and PorticoConfig, puts a reverse proxy in front of the
// provider's token endpoint and has PorticoConfig point token_url at it. The proxy forwards
// the exchanges unchanged until SwapIDTokens.
func (p *Provider) ProxyTokens(t testing.TB) {
	t.Helper()
	p.proxy = &tokenProxy{srv: httptest.NewUnstartedServer(nil)}
	t.Cleanup(p.proxy.srv.Close)
}

// TokenURL is the proxy's token endpoint ("" without ProxyTokens).
func (p *Provider) TokenURL() string {
	if p.proxy == nil {
		return ""
	}
	return "http://" + p.proxy.srv.Listener.Addr().String() + "/token"
}

// SwapIDTokens makes the proxy replace the ID token of the replies that follow with one issued
// to client (one of AppClients) for the same person and nonce; "" forwards them unchanged.
func (p *Provider) SwapIDTokens(client string) {
	p.proxy.mu.Lock()
	defer p.proxy.mu.Unlock()
	p.proxy.swapFor = client
}

// SwappedIDTokens are the ID tokens the proxy put into replies, in order.
func (p *Provider) SwappedIDTokens() []string {
	p.proxy.mu.Lock()
	defer p.proxy.mu.Unlock()
	return append([]string(nil), p.proxy.swapped...)
}

// startProxy serves the proxy, forwarding to the provider's own token endpoint.
func (p *Provider) startProxy() {
	target, _ := url.Parse(p.op.TokenEndpoint().Absolute(p.Issuer))
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			u := *target
			r.Out.URL, r.Out.Host = &u, u.Host
		},
		ModifyResponse: p.swapIDToken,
	}
	p.proxy.srv.Config.Handler = rp
	p.proxy.srv.Start()
}

// swapIDToken replaces the id_token of a successful token reply while a swap is asked for.
func (p *Provider) swapIDToken(res *http.Response) error {
	p.proxy.mu.Lock()
	client := p.proxy.swapFor
	p.proxy.mu.Unlock()
	if client == "" || res.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	var reply map[string]any
	if err := json.Unmarshal(body, &reply); err != nil {
		return fmt.Errorf("token reply: %w", err)
	}
	real, _ := reply["id_token"].(string)
	claims, err := unverifiedClaims(real)
	if err != nil {
		return err
	}
	if user, _, _ := p.current(); claims.Subject != user {
		return fmt.Errorf("the ID token is for %q, the provider signs in %q", claims.Subject, user)
	}
	other, err := p.idToken(client, claims.Nonce)
	if err != nil {
		return err
	}
	reply["id_token"] = other
	if body, err = json.Marshal(reply); err != nil {
		return err
	}
	p.proxy.mu.Lock()
	p.proxy.swapped = append(p.proxy.swapped, other)
	p.proxy.mu.Unlock()
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// unverifiedClaims reads the subject and nonce of an ID token the provider just issued
// (the proxy sits between the provider and Portico: it needs them, not a verification).
func unverifiedClaims(raw string) (c struct {
	Subject string `json:"sub"`
	Nonce   string `json:"nonce"`
}, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return c, errors.New("the token reply has no ID token")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(payload, &c)
}
