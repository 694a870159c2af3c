package totp_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	pqtotp "github.com/pquerna/otp/totp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/text"
)

const password = "a-long-enough-password"

func start(t *testing.T, opts ...apptest.Option) *apptest.Server {
	return apptest.Start(t, append([]apptest.Option{
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_CONFIG_ISSUER", "Portico Test"),
	}, opts...)...)
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := pqtotp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func secretOf(t *testing.T, f map[string]any) string {
	t.Helper()
	n := mfatest.Node(f, "totp", "totp_secret_key")
	if n == nil {
		t.Fatalf("no totp_secret_key node: %v", mfatest.Names(f))
	}
	s := mfatest.Str(n, "attributes", "text", "context", "secret")
	if len(s) != 32 || mfatest.Str(n, "attributes", "text", "text") != s {
		t.Fatalf("secret node %v", n)
	}
	return s
}

// enrolledAgain starts a server with a password identity (email) that has enrolled TOTP, lets
// the enrolment code's window pass, and signs in again as kind (aal1); secret is the TOTP secret.
func enrolledAgain(t *testing.T, kind, email string) (*apptest.Server, string, *mfatest.Party) {
	t.Helper()
	s := start(t)
	ident := s.CreateIdentity(t, email, password)
	secret := enrol(t, mfatest.SignIn(t, s, kind, ident))
	s.Clock.Advance(30 * time.Second)
	return s, secret, mfatest.SignIn(t, s, kind, ident)
}

// enrol links TOTP for p's identity through the settings flow and returns the secret.
func enrol(t *testing.T, p *mfatest.Party) string {
	t.Helper()
	_, f := p.StartSettings()
	if f == nil {
		t.Fatal("no settings flow")
	}
	secret := secretOf(t, f)
	_, done := p.Submit("settings", f, map[string]any{"method": "totp", "totp_code": code(t, secret, p.S.Clock.Now())})
	if mfatest.Str(done, "state") != "success" || mfatest.Node(done, "totp", "totp_unlink") == nil {
		t.Fatalf("enrol: %v %v", mfatest.Str(done, "state"), mfatest.Names(done))
	}
	return secret
}

func TestSettingsNodes(t *testing.T) {
	s := start(t, apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"))
	ident := s.CreateIdentity(t, "nodes@example.com", password)
	p := mfatest.SignIn(t, s, "native", ident)
	_, f := p.StartSettings()
	got := strings.Join(mfatest.Names(f), " ")
	want := "default:csrf_token profile:traits.email profile:traits.name.first profile:traits.name.last profile:method=profile " +
		"password:password password:method=password lookup_secret:lookup_secret_regenerate " +
		"totp:totp_qr totp:totp_secret_key totp:totp_code totp:method=totp"
	if got != want {
		t.Fatalf("nodes\n got %s\nwant %s", got, want)
	}
	qr := mfatest.Node(f, "totp", "totp_qr")
	if src := mfatest.Str(qr, "attributes", "src"); !strings.HasPrefix(src, "data:image/png;base64,iVBOR") {
		t.Errorf("qr src %.40s", src)
	}
	if w, _ := qr["attributes"].(map[string]any)["width"].(float64); w != 256 {
		t.Errorf("qr width %v", w)
	}
	for name, label := range map[string]int{"totp_qr": 1050005, "totp_secret_key": 1050017, "totp_code": 1070006, "method": 1070003} {
		n := mfatest.Node(f, "totp", name)
		if id, _ := n["meta"].(map[string]any)["label"].(map[string]any)["id"].(float64); int(id) != label {
			t.Errorf("%s label %v, want %d", name, id, label)
		}
	}
	if id := mfatest.Node(f, "totp", "totp_secret_key")["attributes"].(map[string]any)["text"].(map[string]any)["id"].(float64); id != 1050006 {
		t.Errorf("secret text id %v", id)
	}
	// The key offered stays the same for the life of the flow.
	again := p.Flow("settings", mfatest.Str(f, "id"))
	if secretOf(t, again) != secretOf(t, f) {
		t.Error("secret changed between reads of one flow")
	}
	if strings.Contains(string(p.JSONGet("/self-service/settings/flows?id="+mfatest.Str(f, "id")).Body), "portico_internal") {
		t.Error("internal context leaked into the reply")
	}
}

// TestJourney enrols, steps up, refuses replays and unlinks, as each kind of client.
func TestJourney(t *testing.T) {
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := start(t)
			ident := s.CreateIdentity(t, kind+"@example.com", password)
			p := mfatest.SignIn(t, s, kind, ident)

			// A wrong code is refused on the totp_code node; the same key stays on offer.
			_, f := p.StartSettings()
			secret := secretOf(t, f)
			res, bad := p.Submit("settings", f, map[string]any{"method": "totp", "totp_code": "000000"})
			if kind != "browser" && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("wrong code: %d %s", res.StatusCode, res.Body)
			}
			if !mfatest.Has(mfatest.MessageIDs(bad), text.ErrorValidationTOTPVerifierWrong) || secretOf(t, bad) != secret {
				t.Fatalf("wrong code: messages %v", mfatest.MessageIDs(bad))
			}
			// The right code links the app and lifts this session to aal2.
			enrolledAt := s.Clock.Now()
			res, done := p.Submit("settings", bad, map[string]any{"method": "totp", "totp_code": code(t, secret, enrolledAt)})
			if kind != "browser" && res.StatusCode != http.StatusOK {
				t.Fatalf("link: %d %s", res.StatusCode, res.Body)
			}
			if mfatest.Str(done, "state") != "success" || mfatest.Node(done, "totp", "totp_unlink") == nil || mfatest.Node(done, "totp", "totp_qr") != nil {
				t.Fatalf("link: %v", mfatest.Names(done))
			}
			if w := p.Whoami(); w.StatusCode != 200 || mfatest.Str(w.Map(t), "authenticator_assurance_level") != "aal2" {
				t.Fatalf("whoami after link: %d %s", w.StatusCode, w.Body)
			}

			// A new aal1 session is held back until it steps up.
			q := mfatest.SignIn(t, s, kind, ident)
			w := q.Whoami()
			if w.StatusCode != http.StatusForbidden || mfatest.Str(w.Map(t), "error", "id") != "session_aal2_required" {
				t.Fatalf("aal1 whoami: %d %s", w.StatusCode, w.Body)
			}
			_, lf := q.StartLogin("aal=aal2")
			if got := strings.Join(mfatest.Names(lf), " "); got != "default:csrf_token totp:totp_code totp:method=totp" {
				t.Fatalf("aal2 login nodes: %s", got)
			}
			if l := mfatest.Node(lf, "totp", "method"); l["meta"].(map[string]any)["label"].(map[string]any)["id"].(float64) != 1010009 {
				t.Errorf("submit label %v", l["meta"])
			}
			// The code that linked the app cannot be used again in its window.
			res, again := q.Submit("login", lf, map[string]any{"method": "totp", "totp_code": code(t, secret, enrolledAt)})
			if kind != "browser" && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("replayed enrolment code: %d %s", res.StatusCode, res.Body)
			}
			if !mfatest.Has(mfatest.MessageIDs(again), text.ErrorValidationTOTPVerifierWrong) {
				t.Fatalf("replayed enrolment code: %v", mfatest.MessageIDs(again))
			}
			// The next step's code upgrades the same session.
			s.Clock.Advance(30 * time.Second)
			fresh := code(t, secret, s.Clock.Now())
			res, _ = q.Submit("login", again, map[string]any{"method": "totp", "totp_code": fresh})
			switch kind {
			case "browser":
				if res.StatusCode != http.StatusSeeOther || apptest.URL(t, res.Header.Get("Location")).Query().Get("flow") != "" {
					t.Fatalf("aal2 login: %d %s", res.StatusCode, res.Header.Get("Location"))
				}
			default:
				if res.StatusCode != http.StatusOK {
					t.Fatalf("aal2 login: %d %s", res.StatusCode, res.Body)
				}
				m := res.Map(t)
				if mfatest.Str(m, "session", "authenticator_assurance_level") != "aal2" {
					t.Fatalf("aal2 login session: %s", res.Body)
				}
				if kind == "native" && mfatest.Str(m, "session_token") != q.Token {
					t.Errorf("native aal2 login issued a new token")
				}
			}
			w = q.Whoami()
			wm := w.Map(t)
			if w.StatusCode != 200 || mfatest.Str(wm, "authenticator_assurance_level") != "aal2" {
				t.Fatalf("whoami after aal2: %d %s", w.StatusCode, w.Body)
			}
			methods, _ := wm["authentication_methods"].([]any)
			if len(methods) != 2 || mfatest.Str(methods[1].(map[string]any), "method") != "totp" || mfatest.Str(methods[1].(map[string]any), "aal") != "aal2" {
				t.Fatalf("authentication_methods %v", methods)
			}

			// The same code on another aal1 session is a replay.
			r := mfatest.SignIn(t, s, kind, ident)
			_, rf := r.StartLogin("aal=aal2")
			res, rep := r.Submit("login", rf, map[string]any{"method": "totp", "totp_code": fresh})
			if kind != "browser" && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("replay: %d %s", res.StatusCode, res.Body)
			}
			if !mfatest.Has(mfatest.MessageIDs(rep), text.ErrorValidationTOTPVerifierWrong) {
				t.Fatalf("replay: %v", mfatest.MessageIDs(rep))
			}

			// Unlinking (the button submits no method) drops the identity back to aal1.
			_, sf := q.StartSettings()
			res, un := q.Submit("settings", sf, map[string]any{"totp_unlink": true})
			if mfatest.Str(un, "state") != "success" || mfatest.Node(un, "totp", "totp_qr") == nil {
				t.Fatalf("unlink: %d %s %v", res.StatusCode, res.Body, mfatest.Names(un))
			}
			if w := mfatest.SignIn(t, s, kind, ident).Whoami(); w.StatusCode != 200 {
				t.Fatalf("aal1 whoami after unlink: %d %s", w.StatusCode, w.Body)
			}
		})
	}
}
