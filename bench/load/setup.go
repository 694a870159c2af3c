package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/portico-auth/portico/internal/flow"
)

// user is one signed-in identity and what the scenarios need of it.
type user struct {
	email, password string
	token           string // native session token
	cookie          string // browser Cookie header: session and CSRF cookies
	csrf            string // the browser flows' CSRF token
	browserFlow     string // a browser settings flow made for get-settings-flow
	apiFlow         string // an API settings flow for update-profile-native
}

// needs says which parts of the setup the chosen scenarios use.
type needs struct {
	identities, token, browser, browserFlow, apiFlow bool
}

// env is what every scenario sees: the targets, the client and the signed-in users.
type env struct {
	public, admin, floorURL string
	client                  *http.Client
	users                   []*user
}

var jsonAccept = http.Header{"Accept": {"application/json"}}

func jsonHeader(extra ...string) http.Header {
	h := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func postJSON(ctx context.Context, c *http.Client, target string, v any, hdr http.Header) (reply, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return reply{}, err
	}
	return do(ctx, c, http.MethodPost, target, bytes.NewReader(b), hdr)
}

// expect turns an unexpected status into an error that shows the start of the body.
func expect(want int, what string) func(reply, error) (reply, error) {
	return func(r reply, err error) (reply, error) {
		if err != nil {
			return r, fmt.Errorf("%s: %w", what, err)
		}
		if r.status == http.StatusServiceUnavailable && want != r.status {
			return r, fmt.Errorf("%s: %w: %s", what, errBusy, snippet(r.body))
		}
		if r.status != want {
			return r, fmt.Errorf("%s: status %d, want %d: %s", what, r.status, want, snippet(r.body))
		}
		return r, nil
	}
}

// errBusy is a 503: Portico refuses a password check that waited too long for the hashing
// limit, and asks to try again shortly.
var errBusy = errors.New("status 503 (busy)")

// retryBusy runs f again, after a growing pause, while it fails with errBusy: setup signs in
// 16 or more identities at once on a machine that may be loaded, and a refused sign-in is not
// what the bench measures.
func retryBusy(ctx context.Context, f func() error) error {
	pause := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := f()
		if !errors.Is(err, errBusy) || attempt == 20 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// flowReply is the part of a flow reply setup reads.
type flowReply struct {
	ID string `json:"id"`
	UI struct {
		Nodes flow.Nodes `json:"nodes"`
	} `json:"ui"`
}

func (f flowReply) csrf() string { return f.UI.Nodes.CSRFToken() }

func decodeFlow(r reply) (flowReply, error) {
	var f flowReply
	if err := json.Unmarshal(r.body, &f); err != nil {
		return f, fmt.Errorf("flow reply is not JSON: %w", err)
	}
	if f.ID == "" {
		return f, errors.New("flow reply has no id")
	}
	return f, nil
}

// createIdentity makes an identity with a password through the admin API.
func (e *env) createIdentity(ctx context.Context, u *user) error {
	body := map[string]any{
		"schema_id": "default",
		"traits":    map[string]any{"email": u.email, "name": map[string]any{"first": "Ada", "last": "Lovelace"}},
		"credentials": map[string]any{
			"password": map[string]any{"config": map[string]any{"password": u.password}},
		},
	}
	_, err := expect(http.StatusCreated, "create identity")(postJSON(ctx, e.client, e.admin+"/admin/identities", body, jsonHeader()))
	return err
}

// loginNative signs u in as an app and returns the session token.
func (e *env) loginNative(ctx context.Context, u *user) (string, error) {
	r, err := expect(http.StatusOK, "create login flow")(do(ctx, e.client, http.MethodGet, e.public+"/self-service/login/api", nil, jsonAccept))
	if err != nil {
		return "", err
	}
	f, err := decodeFlow(r)
	if err != nil {
		return "", err
	}
	r, err = expect(http.StatusOK, "native login")(postJSON(ctx, e.client, e.public+"/self-service/login?flow="+url.QueryEscape(f.ID),
		map[string]any{"method": "password", "identifier": u.email, "password": u.password}, jsonHeader()))
	if err != nil {
		return "", err
	}
	var out struct {
		SessionToken string `json:"session_token"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || out.SessionToken == "" {
		return "", fmt.Errorf("native login: no session_token in %s", snippet(r.body))
	}
	return out.SessionToken, nil
}

// loginBrowser signs u in as a browser: an AJAX login flow (which sets the CSRF cookie), then
// the form posted with its csrf_token; the reply sets the session cookie.
func (e *env) loginBrowser(ctx context.Context, u *user) error {
	jar := cookies{}
	r, err := expect(http.StatusOK, "create browser login flow")(do(ctx, e.client, http.MethodGet, e.public+"/self-service/login/browser", nil, jsonAccept))
	if err != nil {
		return err
	}
	jar.take(r.header)
	f, err := decodeFlow(r)
	if err != nil {
		return err
	}
	u.csrf = f.csrf()
	form := url.Values{"method": {"password"}, "identifier": {u.email}, "password": {u.password}, "csrf_token": {u.csrf}}
	hdr := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {jar.header()}}
	r, err = do(ctx, e.client, http.MethodPost, e.public+"/self-service/login?flow="+url.QueryEscape(f.ID), strings.NewReader(form.Encode()), hdr)
	if err != nil {
		return fmt.Errorf("browser login: %w", err)
	}
	if r.status != http.StatusOK && r.status != http.StatusSeeOther {
		return fmt.Errorf("browser login: status %d: %s", r.status, snippet(r.body))
	}
	if len(r.header.Values("Set-Cookie")) == 0 {
		return errors.New("browser login: the reply set no cookie")
	}
	jar.take(r.header)
	u.cookie = jar.header()
	return nil
}

// settingsFlow creates a settings flow: a browser one over AJAX with u's cookies, or an API one
// with u's token.
func (e *env) settingsFlow(ctx context.Context, u *user, browser bool) (string, error) {
	hdr := http.Header{"Accept": {"application/json"}}
	path := "/self-service/settings/api"
	if browser {
		path = "/self-service/settings/browser"
		hdr.Set("Cookie", u.cookie)
	} else {
		hdr.Set("X-Session-Token", u.token)
	}
	r, err := expect(http.StatusOK, "create settings flow")(do(ctx, e.client, http.MethodGet, e.public+path, nil, hdr))
	if err != nil {
		return "", err
	}
	f, err := decodeFlow(r)
	return f.ID, err
}

// setup prepares n users with what the scenarios need, concurrency at a time (password hashing
// dominates, so this is parallel).
func (e *env) setup(ctx context.Context, n, concurrency int, runID string, nd needs) error {
	e.users = make([]*user, n)
	for i := range e.users {
		e.users[i] = &user{
			email:    fmt.Sprintf("bench-%s-%d@example.test", runID, i),
			password: "Bench-" + runID + "-pass-" + fmt.Sprint(i),
		}
	}
	if !nd.identities {
		return nil
	}
	work := make(chan *user)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				if err := e.setupUser(ctx, u, nd); err != nil {
					errs <- fmt.Errorf("%s: %w", u.email, err)
				}
			}
		}()
	}
	for _, u := range e.users {
		work <- u
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs // the first error, if any
}

func (e *env) setupUser(ctx context.Context, u *user, nd needs) error {
	if err := e.createIdentity(ctx, u); err != nil {
		return err
	}
	var err error
	if nd.token || nd.apiFlow {
		if err = retryBusy(ctx, func() (err error) { u.token, err = e.loginNative(ctx, u); return err }); err != nil {
			return err
		}
	}
	if nd.browser || nd.browserFlow {
		if err := retryBusy(ctx, func() error { return e.loginBrowser(ctx, u) }); err != nil {
			return err
		}
	}
	if nd.browserFlow {
		if u.browserFlow, err = e.settingsFlow(ctx, u, true); err != nil {
			return err
		}
	}
	if nd.apiFlow {
		if u.apiFlow, err = e.settingsFlow(ctx, u, false); err != nil {
			return err
		}
	}
	return nil
}
