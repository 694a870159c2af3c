package settings_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
)

// TestSuccessReplyFormPostsToNextFlow: the reply to a settings change is a form whose action
// is a fresh flow; what it shows must be that flow's form. A security key registered from the
// success page (its challenge taken from the reply, the answer posted to the reply's action)
// is accepted. Before, the reply's nodes were built a second time for the old flow, with a
// WebAuthn challenge of their own that the next flow had never issued, so the registration
// failed.
func TestSuccessReplyFormPostsToNextFlow(t *testing.T) {
	s := mfatest.StartWebAuthn(t)
	for _, kind := range []string{"spa", "browser"} {
		t.Run(kind, func(t *testing.T) {
			email := "next-flow-" + kind + "@example.com"
			ident := s.CreateIdentity(t, email, password)
			p := mfatest.SignIn(t, s, kind, ident)
			_, f := p.Start("settings", "")
			fields := map[string]any{"method": "profile", "traits": map[string]any{
				"email": email, "name": map[string]any{"first": "Ada-" + kind, "last": "Lovelace"}}}
			if kind == "browser" { // a form names the traits by path
				fields = map[string]any{"method": "profile",
					"traits.email": email, "traits.name.first": "Ada-" + kind, "traits.name.last": "Lovelace"}
			}
			res, done := p.Submit("settings", f, fields)
			if mfatest.Str(done, "state") != "success" {
				t.Fatalf("profile update: %d %v %s", res.StatusCode, mfatest.MessageTexts(done), res.Body)
			}
			if mfatest.Str(done, "ui", "action") == mfatest.Str(f, "ui", "action") {
				t.Fatal("the success reply posts to the flow it answers, not to a fresh one")
			}
			trig := mfatest.Node(done, "webauthn", "webauthn_register_trigger")
			if trig == nil {
				t.Fatalf("no webauthn_register_trigger in the success reply: %s", mfatest.Names(done))
			}
			a := &webauthntest.Authenticator{Origin: mfatest.Origin}
			answer, _, err := a.Create(mfatest.Str(trig, "attributes", "value"), "")
			if err != nil {
				t.Fatal(err)
			}
			fields = map[string]any{"method": "webauthn", "webauthn_register": string(answer), "webauthn_register_displayname": "key " + kind}
			if kind == "browser" {
				// The key makes the identity aal2, so the aal1 browser may not read the flow it
				// is sent back to (see enrolBrowser in the webauthn tests): the 303 to the
				// settings UI and the stored key say the registration was accepted.
				form := url.Values{"csrf_token": {mfatest.CSRF(done)}}
				for k, v := range fields {
					form.Set(k, fmt.Sprint(v))
				}
				res := p.C.PostForm(mfatest.Str(done, "ui", "action"), form)
				if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "/settings") {
					t.Fatalf("register from the success page: %d %s %s", res.StatusCode, res.Header.Get("Location"), res.Body)
				}
			} else if res, after := p.Submit("settings", done, fields); mfatest.Str(after, "state") != "success" {
				t.Fatalf("register from the success page: %d %v %s", res.StatusCode, mfatest.MessageTexts(after), res.Body)
			}
			got, err := s.App.Store.GetIdentity(t.Context(), ident.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if c, ok := got.Credentials["webauthn"]; !ok || len(c.Config) == 0 {
				t.Fatalf("no webauthn credential stored after registering from the success page")
			}
		})
	}
}
