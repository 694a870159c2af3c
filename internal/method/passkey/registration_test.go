package passkey_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/text"
)

// signUpFields are the fields a client of kind posts with answer for email.
func signUpFields(kind, email, answer string) map[string]any {
	f := map[string]any{"method": "passkey", "passkey_register": answer}
	if kind == "browser" {
		f["traits.email"] = email
	} else {
		f["traits"] = map[string]any{"email": email}
	}
	return f
}

// registrationTrigger returns the creation options of a registration flow's trigger.
func registrationTrigger(t *testing.T, f map[string]any) string {
	t.Helper()
	trig := mfatest.Node(f, "passkey", "passkey_register_trigger")
	if trig == nil || mfatest.Node(f, "passkey", "passkey_register") == nil ||
		mfatest.Str(trig, "attributes", "onclickTrigger") != "oryPasskeyRegistration" ||
		mfatest.Node(f, "passkey", "webauthn_script") == nil || mfatest.Node(f, "default", "traits.email") == nil {
		t.Fatalf("registration nodes: %s", mfatest.Names(f))
	}
	opts := mfatest.Str(trig, "attributes", "value")
	if !strings.Contains(opts, `"residentKey":"required"`) {
		t.Fatalf("creation options do not ask for a discoverable credential: %s", opts)
	}
	return opts
}

// TestSignUpJourney signs up with a passkey alone, as a browser and as an SPA, then signs in
// with that passkey from a fresh client.
func TestSignUpJourney(t *testing.T) {
	for _, kind := range []string{"browser", "spa"} {
		t.Run(kind, func(t *testing.T) {
			s := start(t)
			p := mfatest.Anonymous(t, s, kind)
			_, f := p.Start("registration", "")
			if f == nil {
				t.Fatal("no registration flow")
			}
			a := &webauthntest.Authenticator{Origin: origin, UV: true}
			resp, key, err := a.Create(registrationTrigger(t, f), "")
			if err != nil {
				t.Fatal(err)
			}
			email := kind + "-signup@example.com"
			r, _ := p.Submit("registration", f, signUpFields(kind, email, string(resp)))
			if kind == "browser" && r.StatusCode != http.StatusSeeOther || kind == "spa" && r.StatusCode != http.StatusOK {
				t.Fatalf("sign up: %d %s", r.StatusCode, r.Body)
			}
			who := p.Whoami()
			m := who.Map(t)
			if who.StatusCode != http.StatusOK || mfatest.Str(m, "authenticator_assurance_level") != "aal1" ||
				!strings.Contains(string(who.Body), `"method":"passkey"`) {
				t.Fatalf("whoami after sign-up: %d %s", who.StatusCode, who.Body)
			}
			stored, err := s.App.Store.GetIdentity(t.Context(), uuidOf(t, mfatest.Str(m, "identity", "id")), true)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _ := webauthn.ReadConfig(stored, identity.CredentialsPasskey)
			if stored.HasCredentials(identity.CredentialsPassword) || len(cfg.Credentials) != 1 || len(cfg.UserHandle) != 32 ||
				string(cfg.UserHandle) != string(key.UserHandle) || !cfg.Credentials[0].IsPasswordless ||
				!slices.Equal(stored.Credentials[identity.CredentialsPasskey].Identifiers, []string{webauthn.HandleIdentifier(cfg.UserHandle)}) {
				t.Fatalf("stored identity: %+v %+v", stored.Credentials, cfg)
			}
			if got := s.AuditTypes(t, email); got != "sign_up" {
				t.Errorf("audit trail %q, want the sign-up", got)
			}

			fresh := mfatest.Anonymous(t, s, kind)
			_, lf := fresh.Start("login", "")
			lresp, err := a.Get(mfatest.Str(mfatest.Node(lf, "passkey", "passkey_login_trigger"), "attributes", "value"), "")
			if err != nil {
				t.Fatal(err)
			}
			r, _ = fresh.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(lresp)})
			if kind == "browser" && r.StatusCode != http.StatusSeeOther || kind == "spa" && r.StatusCode != http.StatusOK {
				t.Fatalf("passkey login: %d %s", r.StatusCode, r.Body)
			}
			who = fresh.Whoami()
			if who.StatusCode != http.StatusOK || mfatest.Str(who.Map(t), "identity", "id") != stored.ID.String() ||
				!strings.Contains(string(who.Body), `"method":"passkey"`) {
				t.Fatalf("whoami after login: %d %s", who.StatusCode, who.Body)
			}
		})
	}
}

func TestSignUpRejected(t *testing.T) {
	s := start(t)
	p := mfatest.Anonymous(t, s, "spa")
	_, f := p.Start("registration", "")
	opts := registrationTrigger(t, f)
	a := &webauthntest.Authenticator{Origin: origin, UV: true}
	cases := []struct {
		name, origin, challenge, email, reason string
		wantID                                 int
	}{
		{"wrong origin", "https://phish.example", "", "a@example.com", "origin", text.ErrorValidationGeneric},
		{"wrong challenge", origin, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a@example.com", "challenge", text.ErrorValidationGeneric},
		{"garbage", origin, "", "a@example.com", "", text.ErrorValidationGeneric},
	}
	for _, tc := range cases {
		a.Origin = tc.origin
		resp, _, err := a.Create(opts, tc.challenge)
		if err != nil {
			t.Fatal(err)
		}
		answer := string(resp)
		if tc.name == "garbage" {
			answer = `{"id":"nope"}`
		}
		r, bad := p.Submit("registration", f, signUpFields("spa", tc.email, answer))
		if r.StatusCode != http.StatusBadRequest || !slices.Contains(mfatest.MessageIDs(bad), tc.wantID) ||
			!strings.Contains(strings.ToLower(mfatest.MessageTexts(bad)), tc.reason) {
			t.Errorf("%s: %d %s", tc.name, r.StatusCode, r.Body)
		}
	}

	// Invalid traits: a node message, and the ceremony is kept for the corrected submission.
	a.Origin = origin
	resp, _, err := a.Create(opts, "")
	if err != nil {
		t.Fatal(err)
	}
	r, bad := p.Submit("registration", f, signUpFields("spa", "not-an-email", string(resp)))
	if r.StatusCode != http.StatusBadRequest || len(mfatest.MessageIDs(bad)) == 0 {
		t.Fatalf("invalid traits: %d %s", r.StatusCode, r.Body)
	}
	// Missing answer.
	r, bad = p.Submit("registration", f, map[string]any{"method": "passkey", "traits": map[string]any{"email": "b@example.com"}})
	if r.StatusCode != http.StatusBadRequest || mfatest.Node(bad, "passkey", "passkey_register") == nil {
		t.Fatalf("missing answer: %d %s", r.StatusCode, r.Body)
	}

	// The right answer signs up once; replayed (without the session) it is refused.
	r, _ = p.Submit("registration", f, signUpFields("spa", "ok@example.com", string(resp)))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("sign up: %d %s", r.StatusCode, r.Body)
	}
	p.C.SetSessionCookie(s, "no-such-session")
	r, bad = p.Submit("registration", f, signUpFields("spa", "other@example.com", string(resp)))
	if r.StatusCode != http.StatusBadRequest || !slices.Contains(mfatest.MessageIDs(bad), text.ErrorValidationGeneric) {
		t.Fatalf("replayed sign-up: %d %s", r.StatusCode, r.Body)
	}

	// API flows offer no passkey sign-up.
	n := mfatest.Anonymous(t, s, "native")
	_, nf := n.Start("registration", "")
	if mfatest.Node(nf, "passkey", "passkey_register_trigger") != nil {
		t.Fatalf("api flow nodes: %s", mfatest.Names(nf))
	}
}

func uuidOf(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatalf("identity id %q: %v", s, err)
	}
	return id
}
