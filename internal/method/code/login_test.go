package code_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/text"
)

func start(t *testing.T) (*apptest.Server, *apptest.Mail) {
	t.Helper()
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED", "true"))
	return s, s.StartMail(t)
}

// TestSignInWithCode: as a browser, an SPA and a native app: the address → the code from the
// real message → signed in at aal1 with the method "code"; the code is single use.
func TestSignInWithCode(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "login") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-code")
			id := s.CreateIdentity(t, email, "a password they forgot about")
			f := fc.Start(t)
			f = fc.Submit(t, f, map[string]string{"method": "code", "identifier": email})
			status := http.StatusOK
			if fc.As == "browser" {
				status = http.StatusSeeOther
			}
			if f.Status != status || f.State != "sent_email" || !f.HasMessage(text.InfoLoginEmailWithCodeSent) {
				t.Fatalf("after sending: %d %s", f.Status, f.Raw.Body)
			}
			code := mail.Code(t, email)
			done := fc.Submit(t, f, map[string]string{"method": "code", "identifier": email, "code": code})
			var sess struct {
				Session struct {
					Identity struct {
						ID string `json:"id"`
					} `json:"identity"`
					AuthenticationMethods []struct {
						Method string `json:"method"`
					} `json:"authentication_methods"`
				} `json:"session"`
			}
			switch fc.As {
			case "browser":
				if done.Body != nil || done.Status != http.StatusSeeOther {
					t.Fatalf("browser sign-in by code: %d %s", done.Status, done.Raw.Body)
				}
				who := fc.C.Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"Accept": {"application/json"}})
				if who.StatusCode != http.StatusOK || !strings.Contains(string(who.Body), `"method":"code"`) {
					t.Fatalf("whoami after a code sign-in: %d %s", who.StatusCode, who.Body)
				}
			default:
				done.Raw.JSON(t, &sess)
				if done.Status != http.StatusOK || sess.Session.Identity.ID != id.ID.String() || sess.Session.AuthenticationMethods[0].Method != "code" {
					t.Fatalf("%s sign-in by code: %d %s", fc.As, done.Status, done.Raw.Body)
				}
			}
			// The code is used up: a new flow with it signs nobody in.
			again := s.FlowClients(t, "login")[2]
			g := again.Submit(t, again.Start(t), map[string]string{"method": "code", "identifier": email})
			r := again.Submit(t, g, map[string]string{"method": "code", "identifier": email, "code": code})
			if r.Status != http.StatusBadRequest || !r.HasMessage(text.ErrorValidationLoginCodeInvalid) {
				t.Fatalf("a used code: %d %s", r.Status, r.Raw.Body)
			}
		})
	}
}

// TestCodeSignInRefusals: wrong codes are refused with 4010008, five end the code; an
// unknown address gets the same reply as a known one and no message.
func TestCodeSignInRefusals(t *testing.T) {
	s, mail := start(t)
	email := apptest.Email("refused")
	s.CreateIdentity(t, email, "a password they forgot about")
	fc := s.FlowClients(t, "login")[2]
	named0, anonymous0 := s.FailedSignIns(t, "code")
	unstored0 := s.Unstored(t, "sign_in_failed", "code")
	f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "identifier": email})
	code := mail.Code(t, email)
	for i := range 5 {
		w := apptest.WrongCode(code, i)
		r := fc.Submit(t, f, map[string]string{"method": "code", "identifier": email, "code": w})
		if r.Status != http.StatusBadRequest || !r.HasMessage(text.ErrorValidationLoginCodeInvalid) {
			t.Fatalf("wrong code %d: %d %s", i, r.Status, r.Raw.Body)
		}
	}
	r := fc.Submit(t, f, map[string]string{"method": "code", "identifier": email, "code": code})
	if r.Status != http.StatusBadRequest || !r.HasMessage(text.ErrorValidationGeneric) {
		t.Fatalf("the right code after five wrong ones: %d %s", r.Status, r.Raw.Body)
	}
	// Each refusal is a failed sign-in of no identity (the flow keeps no identity for the
	// code, and the typed address is never recorded): counted, not stored.
	if named, anonymous := s.FailedSignIns(t, "code"); named != named0 || anonymous != anonymous0 {
		t.Errorf("failed code sign-ins stored: %d named, %d anonymous; want none", named-named0, anonymous-anonymous0)
	}
	if n := s.Unstored(t, "sign_in_failed", "code") - unstored0; n != 6 {
		t.Errorf("%d failed code sign-ins counted, want 6", n)
	}

	known := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "identifier": email})
	strangerAddr := apptest.Email("stranger")
	unknown := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "identifier": strangerAddr})
	if a, b := apptest.Shape(known, email), apptest.Shape(unknown, strangerAddr); a != b {
		t.Fatalf("replies differ:\nknown   %s\nunknown %s", a, b)
	}
	mail.Deliver(t)
	for _, m := range mail.Box.Mails() {
		if m.To[0] == strangerAddr {
			t.Fatalf("the unknown address got a message: %q", m.Text)
		}
	}
}
