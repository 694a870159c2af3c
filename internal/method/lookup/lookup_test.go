package lookup_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/text"
)

const password = "a-long-enough-password"

// codesOf reads the lookup_secret_codes node: unused codes, and the number shown as used.
func codesOf(t *testing.T, f map[string]any) (codes []string, used int) {
	t.Helper()
	n := mfatest.Node(f, "lookup_secret", "lookup_secret_codes")
	if n == nil {
		t.Fatalf("no lookup_secret_codes node: %v", mfatest.Names(f))
	}
	txt, _ := n["attributes"].(map[string]any)["text"].(map[string]any)
	if id, _ := txt["id"].(float64); id != text.InfoSettingsLookupSecretList {
		t.Fatalf("codes text id %v", txt["id"])
	}
	items, _ := txt["context"].(map[string]any)["secrets"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		switch m["id"].(float64) {
		case text.InfoSettingsLookupSecret:
			codes = append(codes, mfatest.Str(m, "context", "secret"))
		case text.InfoSettingsLookupSecretUsed:
			used++
		default:
			t.Fatalf("code item %v", m)
		}
	}
	return codes, used
}

func TestJourney(t *testing.T) {
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"))
			ident := s.CreateIdentity(t, kind+"@example.com", password)
			p := mfatest.SignIn(t, s, kind, ident)

			_, f := p.StartSettings()
			if got := strings.Join(mfatest.Names(f), " "); !strings.HasSuffix(got, "password:method=password lookup_secret:lookup_secret_regenerate") {
				t.Fatalf("nodes: %s", got)
			}
			// Confirming before generating is refused.
			if res, _ := p.Submit("settings", f, map[string]any{"lookup_secret_confirm": true}); kind != "browser" && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("confirm first: %d %s", res.StatusCode, res.Body)
			}
			// Generate: twelve codes shown once, nothing stored yet.
			res, gen := p.Submit("settings", f, map[string]any{"method": "lookup_secret", "lookup_secret_regenerate": true})
			if kind != "browser" && res.StatusCode != http.StatusOK {
				t.Fatalf("regenerate: %d %s", res.StatusCode, res.Body)
			}
			codes, _ := codesOf(t, gen)
			if len(codes) != 12 || mfatest.Str(gen, "state") != "show_form" || mfatest.Node(gen, "lookup_secret", "lookup_secret_confirm") == nil {
				t.Fatalf("regenerate: %d codes, %s, %v", len(codes), mfatest.Str(gen, "state"), mfatest.Names(gen))
			}
			if w := mfatest.SignIn(t, s, kind, ident).Whoami(); w.StatusCode != http.StatusOK {
				t.Fatalf("unconfirmed codes count as a factor: %d", w.StatusCode)
			}
			// Confirm (no method field, as the button submits).
			res, done := p.Submit("settings", gen, map[string]any{"lookup_secret_confirm": true})
			if mfatest.Str(done, "state") != "success" || mfatest.Node(done, "lookup_secret", "lookup_secret_reveal") == nil ||
				mfatest.Node(done, "lookup_secret", "lookup_secret_disable") == nil || mfatest.Node(done, "lookup_secret", "lookup_secret_codes") != nil {
				t.Fatalf("confirm: %d %s %v", res.StatusCode, res.Body, mfatest.Names(done))
			}
			if w := p.Whoami(); mfatest.Str(w.Map(t), "authenticator_assurance_level") != "aal2" {
				t.Fatalf("session after confirm: %s", w.Body)
			}
			stored, err := s.App.Store.GetIdentity(context.Background(), ident.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range codes {
				if strings.Contains(string(stored.Credentials["lookup_secret"].Config), c) {
					t.Fatal("a code is stored in the clear")
				}
			}

			// A new aal1 session steps up with one code.
			q := mfatest.SignIn(t, s, kind, ident)
			if w := q.Whoami(); w.StatusCode != http.StatusForbidden {
				t.Fatalf("aal1 whoami: %d", w.StatusCode)
			}
			_, lf := q.StartLogin("aal=aal2")
			if got := strings.Join(mfatest.Names(lf), " "); got != "default:csrf_token lookup_secret:lookup_secret lookup_secret:method=lookup_secret" {
				t.Fatalf("aal2 nodes: %s", got)
			}
			res, bad := q.Submit("login", lf, map[string]any{"method": "lookup_secret", "lookup_secret": "not-a-code"})
			if (kind != "browser" && res.StatusCode != http.StatusBadRequest) || !mfatest.Has(mfatest.MessageIDs(bad), text.ErrorValidationLookupInvalid) {
				t.Fatalf("invalid code: %d %v", res.StatusCode, mfatest.MessageIDs(bad))
			}
			res, _ = q.Submit("login", bad, map[string]any{"method": "lookup_secret", "lookup_secret": strings.ToUpper(codes[3])})
			if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
				t.Fatalf("code login: %d %s", res.StatusCode, res.Body)
			}
			if w := q.Whoami(); w.StatusCode != http.StatusOK || mfatest.Str(w.Map(t), "authenticator_assurance_level") != "aal2" {
				t.Fatalf("whoami after code: %d %s", w.StatusCode, w.Body)
			}
			// The same code again is refused as used.
			r := mfatest.SignIn(t, s, kind, ident)
			_, rf := r.StartLogin("aal=aal2")
			res, used := r.Submit("login", rf, map[string]any{"method": "lookup_secret", "lookup_secret": codes[3]})
			if (kind != "browser" && res.StatusCode != http.StatusBadRequest) || !mfatest.Has(mfatest.MessageIDs(used), text.ErrorValidationLookupAlreadyUsed) {
				t.Fatalf("reused code: %d %v", res.StatusCode, mfatest.MessageIDs(used))
			}

			// Reveal shows eleven codes and one used.
			_, sf := q.StartSettings()
			res, rev := q.Submit("settings", sf, map[string]any{"lookup_secret_reveal": true})
			left, nUsed := codesOf(t, rev)
			if len(left) != 11 || nUsed != 1 || left[3] != codes[4] {
				t.Fatalf("reveal: %d left, %d used (%d %s)", len(left), nUsed, res.StatusCode, res.Body)
			}
			// Disable removes them: the identity is back to aal1.
			res, off := q.Submit("settings", rev, map[string]any{"lookup_secret_disable": true})
			if mfatest.Str(off, "state") != "success" || mfatest.Node(off, "lookup_secret", "lookup_secret_regenerate") == nil {
				t.Fatalf("disable: %d %s %v", res.StatusCode, res.Body, mfatest.Names(off))
			}
			if w := mfatest.SignIn(t, s, kind, ident).Whoami(); w.StatusCode != http.StatusOK {
				t.Fatalf("whoami after disable: %d %s", w.StatusCode, w.Body)
			}
		})
	}
}
