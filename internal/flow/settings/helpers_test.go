package settings_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

const password = "a-long-enough-password"

// settingsFlow is the part of a settingsFlow reply the tests look at.
type settingsFlow struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	State      string          `json:"state"`
	ReturnTo   string          `json:"return_to"`
	RequestURL string          `json:"request_url"`
	Identity   json.RawMessage `json:"identity"`
	UI         struct {
		Action   string    `json:"action"`
		Method   string    `json:"method"`
		Messages []message `json:"messages"`
		Nodes    []struct {
			Group      string `json:"group"`
			Attributes struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"attributes"`
			Messages []message `json:"messages"`
		} `json:"nodes"`
	} `json:"ui"`
}

type message struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
	Text string `json:"text"`
}

func (f *settingsFlow) csrf() string {
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == "csrf_token" {
			s, _ := n.Attributes.Value.(string)
			return s
		}
	}
	return ""
}

// nodeMessages returns the message ids on the node named name (in group, "" for any).
func (f *settingsFlow) nodeMessages(group, name string) []int {
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == name && (group == "" || n.Group == group) {
			ids := []int{}
			for _, m := range n.Messages {
				ids = append(ids, m.ID)
			}
			return ids
		}
	}
	return nil
}

func (f *settingsFlow) flowMessages() []int {
	ids := []int{}
	for _, m := range f.UI.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

func (f *settingsFlow) traits(t *testing.T) map[string]any {
	t.Helper()
	var id struct {
		Traits      map[string]any `json:"traits"`
		Credentials any            `json:"credentials"`
	}
	if err := json.Unmarshal(f.Identity, &id); err != nil {
		t.Fatal(err)
	}
	if id.Credentials != nil {
		t.Errorf("flow identity shows credentials: %v", id.Credentials)
	}
	return id.Traits
}

func decodeFlow(t *testing.T, r *apptest.Response) *settingsFlow {
	t.Helper()
	var f settingsFlow
	r.JSON(t, &f)
	if f.ID == "" {
		t.Fatalf("reply %d is not a flow: %s", r.StatusCode, r.Body)
	}
	return &f
}

// apiError is Kratos's error reply.
type apiError struct {
	Error struct {
		ID      string         `json:"id"`
		Code    int            `json:"code"`
		Status  string         `json:"status"`
		Reason  string         `json:"reason"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
	RedirectBrowserTo string `json:"redirect_browser_to"`
}

func decodeError(t *testing.T, r *apptest.Response) *apiError {
	t.Helper()
	var e apiError
	r.JSON(t, &e)
	if e.Error.Code == 0 {
		t.Fatalf("reply %d is not an error: %s", r.StatusCode, r.Body)
	}
	if e.Error.Code != r.StatusCode {
		t.Errorf("error.code %d, status %d", e.Error.Code, r.StatusCode)
	}
	return &e
}

func wantStatus(t *testing.T, r *apptest.Response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, status, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

func wantLocation(t *testing.T, r *apptest.Response, want string) {
	t.Helper()
	if got := r.Header.Get("Location"); got != want {
		t.Fatalf("Location %q, want %q", got, want)
	}
}

// csrfCookieSet reports whether the reply sets the CSRF cookie.
func csrfCookieSet(r *apptest.Response) bool {
	for _, c := range r.Cookies() {
		if strings.HasPrefix(c.Name, "csrf_token_") && c.Value != "" && c.HttpOnly && c.SameSite == http.SameSiteLaxMode {
			return true
		}
	}
	return false
}

// fixture is a server with one identity and its clients.
type fixture struct {
	s     *apptest.Server
	ident *identity.Identity
	token string
}

func newFixture(t *testing.T, opts ...apptest.Option) *fixture {
	t.Helper()
	s := apptest.Start(t, opts...)
	id := s.CreateIdentity(t, "a@example.com", password)
	return &fixture{s: s, ident: id, token: s.IssueSession(t, id, session.AAL1)}
}

// spa is a single-page app holding the fixture's session cookie.
func (fx *fixture) spa(t *testing.T) *apptest.Client {
	c := fx.s.SPA(t)
	c.SetSessionCookie(fx.s, fx.token)
	return c
}

// browser is a browser holding the fixture's session cookie.
func (fx *fixture) browser(t *testing.T) *apptest.Client {
	c := fx.s.Browser(t)
	c.SetSessionCookie(fx.s, fx.token)
	return c
}

// native is an app sending the fixture's session token.
func (fx *fixture) native(t *testing.T) *apptest.Client {
	c := fx.s.Native(t)
	c.Header.Set("X-Session-Token", fx.token)
	return c
}

func (fx *fixture) url(path string) string { return fx.s.PublicURL(path) }

func (fx *fixture) uiURL(id string) string {
	return fx.s.Config.FlowUIURL("settings") + "?flow=" + url.QueryEscape(id)
}

// newBrowserFlow creates a browser flow as an SPA and returns it.
func (fx *fixture) newBrowserFlow(t *testing.T, c *apptest.Client) *settingsFlow {
	t.Helper()
	r := c.Get(fx.url("/self-service/settings/browser"))
	wantStatus(t, r, http.StatusOK)
	return decodeFlow(t, r)
}

func (fx *fixture) newAPIFlow(t *testing.T) *settingsFlow {
	t.Helper()
	r := fx.native(t).Get(fx.url("/self-service/settings/api"))
	wantStatus(t, r, http.StatusOK)
	return decodeFlow(t, r)
}

// addTOTP gives the identity a second factor, so that its highest AAL is aal2. TOTP must be
// enabled in the fixture's config: a TOTP secret no login accepts is no second factor.
func (fx *fixture) addTOTP(t *testing.T) {
	t.Helper()
	if !fx.s.Config.MethodEnabled("totp") {
		t.Fatal("addTOTP: start the fixture with SELFSERVICE_METHODS_TOTP_ENABLED=true")
	}
	ctx := context.Background()
	id, err := fx.s.App.Store.GetIdentity(ctx, fx.ident.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	id.Credentials[identity.CredentialsTOTP] = identity.Credentials{
		Type: identity.CredentialsTOTP, Identifiers: []string{id.ID.String()},
		Config: json.RawMessage(`{"totp_url":"otpauth://totp/Portico:a@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Portico"}`),
	}
	if err := fx.s.App.Identities.Update(ctx, id); err != nil {
		t.Fatal(err)
	}
}

// refresh marks the fixture's session as re-authenticated now (what a refresh login does).
func (fx *fixture) refresh(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	sess, err := fx.s.App.Sessions.FromToken(ctx, fx.token)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.s.App.Sessions.Refresh(ctx, sess, session.AuthenticationMethod{Method: "password", AAL: session.AAL1}); err != nil {
		t.Fatal(err)
	}
}

var withAllowedReturn = apptest.WithEnv("SELFSERVICE_ALLOWED_RETURN_URLS", "https://app.example/after")
