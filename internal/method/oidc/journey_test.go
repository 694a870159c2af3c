package oidc_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/oidc/oidctest"
)

// mapper is the Jsonnet every test provider uses: the email, the first name when the provider
// sends one, and the email as a verified address when the provider vouches for it.
const mapper = `local c = std.extVar('claims');
{
  identity: {
    traits: { email: c.email } + (if 'given_name' in c then { name: { first: c.given_name } } else {}),
    verified_addresses: if c.email_verified then [{ value: c.email, via: 'email' }] else [],
  },
}`

// rig is a Portico server with one generic provider ("corp"), a real OpenID provider behind
// it, and two people with accounts there: ada (verified email, signs in by default) and eve
// (unverified email). Their subjects and addresses are new for every rig, as the database
// may be a shared PostgreSQL or MariaDB one.
type rig struct {
	s  *apptest.Server
	op *oidctest.Provider
	// ada and eve are the subjects; adaEmail and eveEmail their addresses.
	ada, eve, adaEmail, eveEmail string
}

func start(t *testing.T, opts ...apptest.Option) *rig {
	t.Helper()
	return startWith(t, oidctest.New(t), opts...)
}

// startWith is start with a provider made (not yet started) by the caller.
func startWith(t *testing.T, op *oidctest.Provider, opts ...apptest.Option) *rig {
	t.Helper()
	cfg := op.PorticoConfig(mapper)
	s := apptest.Start(t, append([]apptest.Option{apptest.WithConfig(cfg)}, opts...)...)
	op.Start(t, s.PublicURL("/self-service/methods/oidc/callback/corp"))
	n := uuid.NewString()
	g := &rig{s: s, op: op, ada: "ada-" + n, eve: "eve-" + n, adaEmail: "ada-" + n + "@example.com", eveEmail: "eve-" + n + "@example.com"}
	op.AddUser(oidctest.User{ID: g.ada, Email: g.adaEmail, EmailVerified: true, GivenName: "Ada"})
	op.AddUser(oidctest.User{ID: g.eve, Email: g.eveEmail, EmailVerified: false})
	op.SignInAs(g.ada)
	return g
}

func (g *rig) callbackPrefix() string { return g.s.PublicURL("/self-service/methods/oidc/callback/") }

// atProvider follows the browser through the provider (its sign-in page signs the chosen
// person in at once) until the provider sends it back to Portico, and returns that address.
func (g *rig) atProvider(t *testing.T, c *apptest.Client, authURL string) string {
	t.Helper()
	if !strings.HasPrefix(authURL, g.op.Issuer) && (g.op.AuthOrigin == "" || !strings.HasPrefix(authURL, g.op.AuthOrigin+"/")) {
		t.Fatalf("not sent to the provider: %q", authURL)
	}
	next := authURL
	for range 10 {
		res := c.Get(next)
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
			t.Fatalf("provider at %s: %d %s", next, res.StatusCode, res.Body)
		}
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := u.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		next = ref.String()
		if strings.HasPrefix(next, g.callbackPrefix()) {
			return next
		}
	}
	t.Fatalf("the provider never sent the browser back (last %s)", next)
	return ""
}

// submit posts the oidc method of a browser flow of kind and returns the reply.
func (g *rig) submit(t *testing.T, c *apptest.Client, kind string) *apptest.Response {
	t.Helper()
	id, csrf := g.s.BrowserFlow(t, c, kind)
	return c.PostForm(g.s.PublicURL("/self-service/"+kind+"?flow="+id), url.Values{
		"method": {"oidc"}, "provider": {"corp"}, "csrf_token": {csrf},
	})
}

// begin submits the flow and follows the browser to the provider and back to the callback
// address (not yet visited).
func (g *rig) begin(t *testing.T, c *apptest.Client, kind string) string {
	t.Helper()
	res := g.submit(t, c, kind)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit %s: %d %s", kind, res.StatusCode, res.Body)
	}
	return g.atProvider(t, c, res.Header.Get("Location"))
}

// backTo has browser c come back from the provider through a flow of kind and returns where
// the callback sends it, which must be the UI of a flow of kind want (the flow shows why).
func (g *rig) backTo(t *testing.T, c *apptest.Client, kind, want string) string {
	t.Helper()
	res := c.Get(g.begin(t, c, kind))
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, g.s.Config.FlowUIURL(want)+"?") {
		t.Fatalf("%s callback: %d to %q (want the %s UI) %s", kind, res.StatusCode, loc, want, res.Body)
	}
	return loc
}

// signUp signs the provider's current person up through a browser registration flow and
// returns the browser and the new identity's id.
func (g *rig) signUp(t *testing.T) (*apptest.Client, string) {
	t.Helper()
	b := g.s.Browser(t)
	b.Get(g.begin(t, b, "registration"))
	id, _ := g.whoami(t, b)
	if id == "" {
		t.Fatal("not signed up")
	}
	return b, id
}

// whoami is the identity the client's session belongs to ("" without a session).
func (g *rig) whoami(t *testing.T, c *apptest.Client) (string, map[string]any) {
	t.Helper()
	r := c.Do(http.MethodGet, g.s.PublicURL("/sessions/whoami"), nil, http.Header{"Accept": {"application/json"}})
	if r.StatusCode != http.StatusOK {
		return "", nil
	}
	ident := r.Map(t)["identity"].(map[string]any)
	return ident["id"].(string), ident
}

// flowMessages reads the flow a browser was sent back to and returns its message ids.
func (g *rig) flowMessages(t *testing.T, c *apptest.Client, kind, loc string) []int {
	t.Helper()
	id := apptest.URL(t, loc).Query().Get("flow")
	if id == "" {
		t.Fatalf("not sent back to a %s flow: %s", kind, loc)
	}
	r := c.Do(http.MethodGet, g.s.PublicURL("/self-service/"+kind+"/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
	var f struct {
		UI struct {
			Messages []struct {
				ID   int    `json:"id"`
				Text string `json:"text"`
			} `json:"messages"`
		} `json:"ui"`
	}
	r.JSON(t, &f)
	var ids []int
	for _, m := range f.UI.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestSignUpThenSignIn(t *testing.T) {
	for _, kind := range []string{"registration", "login"} {
		t.Run("first visit through "+kind, func(t *testing.T) {
			g := start(t)
			b := g.s.Browser(t)
			res := b.Get(g.begin(t, b, kind))
			if res.StatusCode != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "flow=") {
				t.Fatalf("callback: %d to %s %s", res.StatusCode, res.Header.Get("Location"), res.Body)
			}
			id, ident := g.whoami(t, b)
			if id == "" {
				t.Fatal("no session after signing up")
			}
			// A sign-up is a sign_up on either flow; the login flow also signed ada in.
			want := map[string]string{"registration": "sign_up", "login": "sign_in sign_up"}[kind]
			if got := g.s.AuditTypes(t, g.adaEmail); got != want {
				t.Errorf("audit trail %q, want %q", got, want)
			}
			traits := ident["traits"].(map[string]any)
			if traits["email"] != g.adaEmail || traits["name"].(map[string]any)["first"] != "Ada" {
				t.Errorf("traits: %v", traits)
			}
			va := ident["verifiable_addresses"].([]any)[0].(map[string]any)
			if va["verified"] != true {
				t.Errorf("the provider vouched for the email, but: %v", va)
			}

			// The admin API shows the credential as Kratos does.
			adm := g.s.Native(t).Get(g.s.AdminURL("/admin/identities/" + id))
			creds := adm.Map(t)["credentials"].(map[string]any)["oidc"].(map[string]any)
			if ids := creds["identifiers"].([]any); len(ids) != 1 || ids[0] != "corp:"+g.ada {
				t.Errorf("oidc credential: %v", creds)
			}

			// A second browser signs in to the same identity.
			b2 := g.s.Browser(t)
			res = b2.Get(g.begin(t, b2, "login"))
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d %s", res.StatusCode, res.Body)
			}
			if again, _ := g.whoami(t, b2); again != id {
				t.Fatalf("signed in as %q, want %q", again, id)
			}
		})
	}
}

// TestAuthorisationRequest: PKCE (S256), a nonce and a state on every request; the state is
// not the flow id.
func TestAuthorisationRequest(t *testing.T) {
	g := start(t)
	b := g.s.Browser(t)
	res := g.submit(t, b, "login")
	q := apptest.URL(t, res.Header.Get("Location")).Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43 || q.Get("nonce") == "" ||
		len(q.Get("state")) < 43 || q.Get("client_id") != g.op.ClientID ||
		q.Get("redirect_uri") != g.s.PublicURL("/self-service/methods/oidc/callback/corp") {
		t.Fatalf("authorisation request: %v", q)
	}
}

// TestSPA: an SPA's submission is answered with 422 browser_location_change_required and
// redirect_browser_to (the SPA sends the browser there); the callback is a browser navigation.
func TestSPA(t *testing.T) {
	g := start(t)
	spa := g.s.SPA(t)
	r := spa.Get(g.s.PublicURL("/self-service/registration/browser"))
	id := r.Map(t)["id"].(string)
	res := spa.PostJSON(g.s.PublicURL("/self-service/registration?flow="+id), map[string]any{
		"method": "oidc", "provider": "corp", "csrf_token": apptest.CSRFToken(t, r)})
	m := res.Map(t)
	e, _ := m["error"].(map[string]any)
	to, _ := m["redirect_browser_to"].(string)
	if res.StatusCode != http.StatusUnprocessableEntity || e["id"] != "browser_location_change_required" || to == "" {
		t.Fatalf("SPA submit: %d %s", res.StatusCode, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	spa.Header.Set("Accept", "text/html")
	back := g.atProvider(t, spa, to)
	if res := spa.Get(back); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", res.StatusCode, res.Body)
	}
	if id, _ := g.whoami(t, spa); id == "" {
		t.Fatal("no session")
	}
}

// TestProviderButtonWithoutMethod: the provider buttons post "provider" without "method" (as
// Kratos's UIs do); login and registration send the browser to the provider all the same.
func TestProviderButtonWithoutMethod(t *testing.T) {
	g := start(t)
	for _, kind := range []string{"registration", "login"} {
		b := g.s.Browser(t)
		id, csrf := g.s.BrowserFlow(t, b, kind)
		res := b.PostForm(g.s.PublicURL("/self-service/"+kind+"?flow="+id), url.Values{"provider": {"corp"}, "csrf_token": {csrf}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), g.op.Issuer) {
			t.Fatalf("%s: %d to %s", kind, res.StatusCode, res.Header.Get("Location"))
		}
	}
}
