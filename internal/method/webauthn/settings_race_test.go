package webauthn_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
)

// TestRegistrationAnswerRacedRegistersOnce: the settings flow keeps its ceremony in its own
// sealed internal context; 100 concurrent submissions of one registration answer to one flow
// register the key once: one success, every other submission refused with a 400 or a 403 (never a 500),
// and the identity holds one key. A later submission of the same answer is refused too.
func TestRegistrationAnswerRacedRegistersOnce(t *testing.T) {
	s := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL", "aal1"))
	ident := s.CreateIdentity(t, "race@example.com", password)
	p := mfatest.SignIn(t, s, "spa", ident)
	_, f := p.Start("settings", "")
	a := &webauthntest.Authenticator{Origin: origin}
	resp, _, err := a.Create(mfatest.Str(mfatest.Node(f, "webauthn", "webauthn_register_trigger"), "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]any{"method": "webauthn", "webauthn_register": string(resp), "csrf_token": mfatest.CSRF(f)}
	action := mfatest.Str(f, "ui", "action")
	const n = 100
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = p.C.PostJSON(action, fields).StatusCode
		}()
	}
	wg.Wait()
	ok := 0
	for _, st := range statuses {
		switch st {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest, http.StatusForbidden:
			// 403 session_refresh_required: once the key is stored the identity has a second
			// factor the session has not proved, so the session is no longer privileged.
		default:
			t.Errorf("status %d", st)
		}
	}
	if ok != 1 {
		t.Errorf("%d successful registrations of one answer, want 1", ok)
	}
	got, err := s.App.Store.GetIdentity(t.Context(), uuid.MustParse(mfatest.Str(f, "identity", "id")), true)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := webauthn.ReadConfig(got, identity.CredentialsWebAuthn)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Credentials) != 1 {
		t.Errorf("%d keys stored, want 1", len(cfg.Credentials))
	}
	if r := p.C.PostJSON(action, fields); r.StatusCode != http.StatusBadRequest && r.StatusCode != http.StatusForbidden {
		t.Errorf("replayed answer: %d %s", r.StatusCode, r.Body)
	}
}
