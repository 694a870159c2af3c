package oidc_test

import (
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/text"
)

// TestNative: a native app signs up and in with the ID token the provider's SDK gave it
// (id_token + id_token_nonce); tokens for another app, with another nonce, or not signed by
// the provider are refused.
func TestNative(t *testing.T) {
	g := start(t)
	app := g.s.Native(t)
	post := func(kind, idToken, nonce string) (int, map[string]any) {
		t.Helper()
		f := app.Get(g.s.PublicURL("/self-service/" + kind + "/api")).Map(t)
		res := app.PostJSON(g.s.PublicURL("/self-service/"+kind+"?flow="+f["id"].(string)), map[string]any{
			"method": "oidc", "provider": "corp", "id_token": idToken, "id_token_nonce": nonce})
		return res.StatusCode, res.Map(t)
	}
	flowMessage := func(m map[string]any) int {
		msgs, _ := m["ui"].(map[string]any)["messages"].([]any)
		if len(msgs) != 1 {
			return 0
		}
		return int(msgs[0].(map[string]any)["id"].(float64))
	}

	for _, tc := range []struct {
		name, client, nonce, sent string
	}{
		{"another app's token", "other-app", "n-1", "n-1"},
		{"wrong nonce", "mobile-app", "n-2", "n-other"},
		{"no nonce", "mobile-app", "n-3", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := g.op.IDToken(t, tc.client, tc.nonce)
			for _, kind := range []string{"registration", "login"} {
				status, m := post(kind, tok, tc.sent)
				if status != http.StatusBadRequest || m["session_token"] != nil {
					t.Fatalf("%s: %d %v", kind, status, m)
				}
				if id := flowMessage(m); id != text.ErrorValidationGeneric && id != text.ErrorValidationRequired {
					t.Errorf("%s: message %d", kind, id)
				}
			}
		})
	}
	t.Run("tampered token", func(t *testing.T) {
		tok := []byte(g.op.IDToken(t, "mobile-app", "n-4"))
		tok[len(tok)-5] ^= 1
		if status, m := post("login", string(tok), "n-4"); status != http.StatusBadRequest || m["session_token"] != nil {
			t.Fatalf("tampered: %d %v", status, m)
		}
	})

	status, m := post("registration", g.op.IDToken(t, "mobile-app", "n-5"), "n-5")
	if status != http.StatusOK || m["session_token"] == nil {
		t.Fatalf("native sign-up: %d %v", status, m)
	}
	id := m["identity"].(map[string]any)["id"]
	status, m = post("login", g.op.IDToken(t, "mobile-app", "n-6"), "n-6")
	if status != http.StatusOK || m["session"].(map[string]any)["identity"].(map[string]any)["id"] != id {
		t.Fatalf("native sign-in: %d %v", status, m)
	}
}
