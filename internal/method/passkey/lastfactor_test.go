package passkey_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/text"
)

// TestLastPasskeyStays is issue 11 finding 8: an identity whose only way to sign in is a
// passkey cannot remove it (the settings flow answers with message 4000100 and keeps the
// key); once it has a second passkey, one of them can go.
func TestLastPasskeyStays(t *testing.T) {
	for _, kind := range []string{"browser", "spa"} {
		t.Run(kind, func(t *testing.T) {
			s, ident, p, a, field := signedIn(t, kind)
			enrol(t, p, a, field)

			// The admin API takes the password: the passkey is now the only first factor.
			admin := s.Native(t)
			if r := admin.Do(http.MethodDelete, s.AdminURL("/admin/identities/"+ident.ID.String()+"/credentials/password"), nil, nil); r.StatusCode != http.StatusNoContent {
				t.Fatalf("delete password while a passkey remains: %d %s", r.StatusCode, r.Body)
			}

			removeOne := func() (*apptest.Response, map[string]any) {
				t.Helper()
				_, f := p.Start("settings", "")
				rm := mfatest.Node(f, "passkey", "passkey_remove")
				if rm == nil {
					t.Fatalf("no passkey_remove node: %s", mfatest.Names(f))
				}
				return p.Submit("settings", f, map[string]any{"method": "passkey", "passkey_remove": mfatest.Str(rm, "attributes", "value")})
			}
			res, refused := removeOne()
			wantStatus := map[string]int{"browser": http.StatusSeeOther, "spa": http.StatusBadRequest}[kind]
			if res.StatusCode != wantStatus || mfatest.Str(refused, "state") == "success" ||
				!mfatest.Has(mfatest.MessageIDs(refused), text.ErrorValidationLastFirstFactor) {
				t.Fatalf("removing the last passkey: %d %v %s", res.StatusCode, mfatest.MessageIDs(refused), res.Body)
			}
			stored, err := s.App.Store.GetIdentity(t.Context(), ident.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if !stored.HasCredentials("passkey") {
				t.Fatal("the last passkey was removed")
			}

			// With a second passkey, one may go; the other then stays.
			enrol(t, p, &webauthntest.Authenticator{Origin: origin, UV: true}, field)
			if _, done := removeOne(); mfatest.Str(done, "state") != "success" {
				t.Fatalf("removing one of two passkeys: %v", mfatest.MessageTexts(done))
			}
			if _, again := removeOne(); !mfatest.Has(mfatest.MessageIDs(again), text.ErrorValidationLastFirstFactor) {
				t.Fatalf("removing the remaining passkey: %v", mfatest.MessageIDs(again))
			}
		})
	}
}

// TestAdminDeleteLastFirstFactor: the admin API deletes a password only while another way to
// sign in remains (Kratos's rule and reason), and never deletes passkeys.
func TestAdminDeleteLastFirstFactor(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "admin@example.com", password)
	admin := s.Native(t)
	del := func(typ string) *apptest.Response {
		return admin.Do(http.MethodDelete, s.AdminURL("/admin/identities/"+ident.ID.String()+"/credentials/"+typ), nil, nil)
	}
	r := del("password")
	var e struct {
		Error struct {
			Code   int    `json:"code"`
			Reason string `json:"reason"`
		} `json:"error"`
	}
	r.JSON(t, &e)
	if r.StatusCode != http.StatusBadRequest || e.Error.Code != http.StatusBadRequest || e.Error.Reason != "You cannot remove the last first factor credential." {
		t.Fatalf("delete the only password: %d %s", r.StatusCode, r.Body)
	}
	if r := del("passkey"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("delete a passkey the identity does not hold: %d %s", r.StatusCode, r.Body)
	}
	p := mfatest.SignIn(t, s, "spa", ident)
	enrol(t, p, &webauthntest.Authenticator{Origin: origin, UV: true}, "passkey_register")
	if r := del("passkey"); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("delete passkeys: %d %s", r.StatusCode, r.Body)
	}
	if r := del("password"); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete the password while a passkey remains: %d %s", r.StatusCode, r.Body)
	}
	if r := del("password"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("delete it again: %d %s", r.StatusCode, r.Body)
	}
}

// TestLastPasskeyStaysUnderConcurrency: 100 concurrent removals, half for each of an
// identity's two passkeys (its only ways to sign in), leave exactly one: each removal judges
// the identity it read, and the identity's version makes every later writer of that version
// fail instead of removing the other key too.
func TestLastPasskeyStaysUnderConcurrency(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "race@example.com", password)
	p := mfatest.SignIn(t, s, "spa", ident)
	enrol(t, p, &webauthntest.Authenticator{Origin: origin, UV: true}, "passkey_register")
	enrol(t, p, &webauthntest.Authenticator{Origin: origin, UV: true}, "passkey_register")
	admin := s.Native(t)
	if r := admin.Do(http.MethodDelete, s.AdminURL("/admin/identities/"+ident.ID.String()+"/credentials/password"), nil, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete password: %d %s", r.StatusCode, r.Body)
	}
	_, f := p.Start("settings", "")
	var keys []string
	for _, n := range mfatest.Nodes(f) {
		if mfatest.Str(n, "attributes", "name") == "passkey_remove" {
			keys = append(keys, mfatest.Str(n, "attributes", "value"))
		}
	}
	if len(keys) != 2 {
		t.Fatalf("want two passkey_remove nodes: %s", mfatest.Names(f))
	}
	const n = 100
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(key string) {
			defer wg.Done()
			res := p.C.PostJSON(mfatest.Str(f, "ui", "action"), map[string]any{"method": "passkey", "passkey_remove": key, "csrf_token": mfatest.CSRF(f)})
			statuses <- res.StatusCode
		}(keys[i%2])
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
		if st >= 500 {
			t.Errorf("a removal answered %d", st)
		}
	}
	stored, err := s.App.Store.GetIdentity(t.Context(), ident.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := webauthn.ReadConfig(stored, "passkey")
	if err != nil || len(cfg.Credentials) != 1 {
		t.Fatalf("%d passkeys left (want 1), statuses %v", len(cfg.Credentials), count)
	}
	t.Logf("statuses: %v", count)
}
