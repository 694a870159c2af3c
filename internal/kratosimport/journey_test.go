package kratosimport_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	pqtotp "github.com/pquerna/otp/totp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/store"
)

func credType(s string) identity.CredentialsType { return identity.CredentialsType(s) }

func countIdentities(t *testing.T, s *apptest.Server) int {
	t.Helper()
	all, _, err := s.App.Store.ListIdentities(context.Background(), store.IdentityFilter{}, store.ListParams{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// snapshot is everything stored for the fixture's identities (credential configs, versions
// and times included) and their sessions, as one string to compare.
func snapshot(t *testing.T, s *apptest.Server, fx *fixture) string {
	t.Helper()
	ctx := context.Background()
	var b bytes.Buffer
	for _, p := range fx.Identities {
		id, err := s.App.Store.GetIdentity(ctx, uuid.MustParse(p.ID), true)
		if err != nil {
			t.Fatalf("identity %s: %v", p.LoginIdentifier, err)
		}
		raw, _ := json.Marshal(id)
		fmt.Fprintf(&b, "%s v%d %s\n", p.ID, id.Version, raw)
		ss, _, err := s.App.Store.ListSessions(ctx, id.ID, nil, store.ListParams{PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ss {
			fmt.Fprintf(&b, "  session %s %x v%d %v %s\n", x.ID, x.TokenHash, x.Version, x.Active, x.ExpiresAt)
		}
	}
	return b.String()
}

// checkIdentity reads the identity through the admin API.
func checkIdentity(t *testing.T, s *apptest.Server, id string, externalID *string, metaPublic json.RawMessage, state string, verified bool) {
	t.Helper()
	res := s.Native(t).Get(s.AdminURL("/admin/identities/" + id + "?include_credential=oidc"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("admin get %s: %d %s", id, res.StatusCode, res.Body)
	}
	var got struct {
		State               string          `json:"state"`
		ExternalID          *string         `json:"external_id"`
		MetadataPublic      json.RawMessage `json:"metadata_public"`
		VerifiableAddresses []struct {
			Verified bool `json:"verified"`
		} `json:"verifiable_addresses"`
	}
	res.JSON(t, &got)
	if got.State != state {
		t.Errorf("state %q, want %q", got.State, state)
	}
	if (externalID == nil) != (got.ExternalID == nil) || (externalID != nil && *externalID != *got.ExternalID) {
		t.Errorf("external_id %v, want %v", got.ExternalID, externalID)
	}
	if !jsonEqual(got.MetadataPublic, metaPublic) {
		t.Errorf("metadata_public %s, want %s", got.MetadataPublic, metaPublic)
	}
	if len(got.VerifiableAddresses) != 1 || got.VerifiableAddresses[0].Verified != verified {
		t.Errorf("verifiable addresses %+v, want one verified=%v", got.VerifiableAddresses, verified)
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func whoami(t *testing.T, s *apptest.Server, token string) *apptest.Response {
	t.Helper()
	c := s.Native(t)
	c.Header.Set("X-Session-Token", token)
	return c.Get(s.PublicURL("/sessions/whoami"))
}

// signIn signs identifier in with the password through the native login flow. An inactive
// identity must be refused. With a second factor the password session is aal1, whoami refuses
// it, and stepUp must bring it to aal2.
func signIn(t *testing.T, s *apptest.Server, identifier, password string, active bool, stepUp func(*mfatest.Party), aal2 bool) {
	t.Helper()
	app := s.Native(t)
	f := app.Get(s.PublicURL("/self-service/login/api"))
	if f.StatusCode != http.StatusOK {
		t.Fatalf("create login flow: %d %s", f.StatusCode, f.Body)
	}
	var flow struct{ ID string }
	f.JSON(t, &flow)
	wrong := app.PostJSON(s.PublicURL("/self-service/login?flow="+flow.ID), map[string]any{
		"method": "password", "identifier": identifier, "password": password + "-wrong"})
	if wrong.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong password: %d %s", wrong.StatusCode, wrong.Body)
	}
	res := app.PostJSON(s.PublicURL("/self-service/login?flow="+flow.ID), map[string]any{
		"method": "password", "identifier": identifier, "password": password})
	if !active {
		if res.StatusCode == http.StatusOK {
			t.Fatalf("an inactive identity signed in: %s", res.Body)
		}
		return
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %d %s", res.StatusCode, res.Body)
	}
	var out struct {
		SessionToken string `json:"session_token"`
	}
	res.JSON(t, &out)
	who := whoami(t, s, out.SessionToken)
	if !aal2 {
		if who.StatusCode != http.StatusOK {
			t.Fatalf("whoami after sign-in: %d %s", who.StatusCode, who.Body)
		}
		return
	}
	if who.StatusCode != http.StatusForbidden {
		t.Fatalf("whoami of an aal1 session of an identity with a second factor: %d, want 403", who.StatusCode)
	}
	p := mfatest.Anonymous(t, s, "native")
	p.Token = out.SessionToken
	p.C.Header.Set("X-Session-Token", out.SessionToken)
	stepUp(p)
	who = whoami(t, s, out.SessionToken)
	if who.StatusCode != http.StatusOK || mfatest.Str(who.Map(t), "authenticator_assurance_level") != "aal2" {
		t.Fatalf("whoami after the second factor: %d %s", who.StatusCode, who.Body)
	}
}

func startAAL2(t *testing.T, p *mfatest.Party) map[string]any {
	t.Helper()
	res, f := p.StartLogin("aal=aal2")
	if f == nil {
		t.Fatalf("start aal2 login: %d %s", res.StatusCode, res.Body)
	}
	return f
}

func stepUpTOTP(t *testing.T, s *apptest.Server, p *mfatest.Party, secret string) {
	t.Helper()
	f := startAAL2(t, p)
	code, err := pqtotp.GenerateCode(secret, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := p.Submit("login", f, map[string]any{"method": "totp", "totp_code": code}); res.StatusCode != http.StatusOK {
		t.Fatalf("totp step-up: %d %s", res.StatusCode, res.Body)
	}
}

func stepUpLookup(t *testing.T, p *mfatest.Party, codes []string, used string) {
	t.Helper()
	f := startAAL2(t, p)
	res, again := p.Submit("login", f, map[string]any{"method": "lookup_secret", "lookup_secret": used})
	if res.StatusCode != http.StatusBadRequest || again == nil {
		t.Fatalf("the code Kratos marked used: %d %s, want 400", res.StatusCode, res.Body)
	}
	unused := codes[len(codes)-1]
	if unused == used {
		t.Fatal("fixture: the last code is the used one")
	}
	if res, _ := p.Submit("login", again, map[string]any{"method": "lookup_secret", "lookup_secret": unused}); res.StatusCode != http.StatusOK {
		t.Fatalf("lookup step-up: %d %s", res.StatusCode, res.Body)
	}
}

func stepUpWebAuthn(t *testing.T, p *mfatest.Party, credID, userHandle, rpID, origin, keyPEM string) {
	t.Helper()
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		t.Fatal("fixture: no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	id, err1 := base64.RawURLEncoding.DecodeString(credID)
	handle, err2 := base64.RawURLEncoding.DecodeString(userHandle)
	if err1 != nil || err2 != nil {
		t.Fatalf("fixture: %v %v", err1, err2)
	}
	a := &webauthntest.Authenticator{Origin: origin, UV: true}
	a.Add(id, handle, rpID, 0, k.(*ecdsa.PrivateKey))
	// WebAuthn needs a browser (Kratos offers it on browser flows only): the same session, as
	// an SPA's cookie.
	spa := mfatest.Anonymous(t, p.S, "spa")
	spa.C.SetSessionCookie(p.S, p.Token)
	p = spa
	f := startAAL2(t, p)
	trig := mfatest.Node(f, "webauthn", "webauthn_login_trigger")
	if trig == nil {
		t.Fatalf("no webauthn trigger in the aal2 login flow: %v", mfatest.Names(f))
	}
	resp, err := a.Get(mfatest.Str(trig, "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := p.Submit("login", f, map[string]any{"method": "webauthn", "webauthn_login": string(resp)}); res.StatusCode != http.StatusOK {
		t.Fatalf("webauthn step-up: %d %s", res.StatusCode, res.Body)
	}
}
