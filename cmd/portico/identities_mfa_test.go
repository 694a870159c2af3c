package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	pqtotp "github.com/pquerna/otp/totp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/lookup"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
)

// startMFA starts a server with TOTP, recovery codes, WebAuthn and passkeys enabled.
func startMFA(t *testing.T) *apptest.Server {
	return mfatest.StartWebAuthn(t,
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_CONFIG_ISSUER", "Portico Test"),
		apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"))
}

// TestIdentitiesExportImportSecondFactors: an identity with a password, a TOTP key, recovery
// codes (one used) and a WebAuthn key is exported from one server and imported into another
// with a database of its own; there it signs in with the password and then each second factor
// (aal2), and the code used before the move is still refused.
func TestIdentitiesExportImportSecondFactors(t *testing.T) {
	ctx := context.Background()
	src := startMFA(t)
	const email = "moved@example.com"
	ident := src.CreateIdentity(t, email, mfatest.Password)
	now := src.Clock.Now()

	key, err := pqtotp.Generate(pqtotp.GenerateOpts{Issuer: "Portico Test", AccountName: email})
	if err != nil {
		t.Fatal(err)
	}
	totpCfg, _ := json.Marshal(map[string]string{"totp_url": key.URL()})
	ident.Credentials[identity.CredentialsTOTP] = identity.Credentials{Type: identity.CredentialsTOTP,
		Identifiers: []string{ident.ID.String()}, Config: totpCfg}
	codes := []string{"used0code0", "free1code1", "free2code2"}
	usedAt := now.Add(-time.Hour)
	if err := lookup.Import(ident, src.Config.SealSecrets(), []lookup.ImportedCode{
		{Code: codes[0], UsedAt: &usedAt}, {Code: codes[1]}, {Code: codes[2]}}, now); err != nil {
		t.Fatal(err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cose, err := webauthntest.COSEKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	credID, handle := []byte("moved-key-credential-id"), ident.ID[:]
	wa := &webauthn.Config{UserHandle: handle, Credentials: []webauthn.Key{{
		ID: credID, PublicKey: cose, AttestationType: "none", DisplayName: "key", AddedAt: now}}}
	if err := webauthn.WriteConfig(ident, identity.CredentialsWebAuthn, wa, nil, now); err != nil {
		t.Fatal(err)
	}
	if err := src.App.Identities.Update(ctx, ident); err != nil {
		t.Fatal(err)
	}

	export, log, err := runIdentities(t, src, "", "export")
	if err != nil || strings.Count(export, "\n") != 1 {
		t.Fatalf("export: %v\n%s\n%s", err, export, log)
	}
	for _, want := range []string{`"totp_url"`, `"recovery_codes"`, `"sealed_codes"`, `"public_key"`, `"hashed_password"`} {
		if !strings.Contains(export, want) {
			t.Fatalf("export lacks %s: %s", want, export)
		}
	}

	dst := startMFA(t)
	out, log, err := runIdentities(t, dst, export, "import")
	if err != nil || strings.Count(out, "\n") != 1 || strings.Contains(log, "note:") {
		t.Fatalf("import: %v\n%s\n%s", err, out, log)
	}
	var shown struct {
		Credentials map[string]json.RawMessage `json:"credentials"`
	}
	got, _, err := runIdentities(t, dst, "", "get", strings.TrimSpace(out))
	if err != nil || json.Unmarshal([]byte(got), &shown) != nil || len(shown.Credentials) != 4 || shown.Credentials["totp"] == nil ||
		shown.Credentials["lookup_secret"] == nil || shown.Credentials["webauthn"] == nil {
		t.Fatalf("imported identity: %v %s", err, got)
	}

	// Password, then TOTP.
	p := aal1(t, dst, email)
	f := aal2Flow(t, p)
	c, err := pqtotp.GenerateCode(key.Secret(), dst.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := p.Submit("login", f, map[string]any{"method": "totp", "totp_code": c}); res.StatusCode != http.StatusOK {
		t.Fatalf("totp: %d %s", res.StatusCode, res.Body)
	}
	wantAAL2(t, p)

	// Password, then a recovery code: the one used before the move stays used.
	p = aal1(t, dst, email)
	f = aal2Flow(t, p)
	res, again := p.Submit("login", f, map[string]any{"method": "lookup_secret", "lookup_secret": codes[0]})
	if res.StatusCode != http.StatusBadRequest || again == nil {
		t.Fatalf("the code used before the move: %d %s, want 400", res.StatusCode, res.Body)
	}
	if res, _ := p.Submit("login", again, map[string]any{"method": "lookup_secret", "lookup_secret": codes[1]}); res.StatusCode != http.StatusOK {
		t.Fatalf("recovery code: %d %s", res.StatusCode, res.Body)
	}
	wantAAL2(t, p)

	// Password, then the security key (a browser's ceremony: the session as an SPA's cookie).
	p = aal1(t, dst, email)
	spa := mfatest.Anonymous(t, dst, "spa")
	spa.C.SetSessionCookie(dst, p.Token)
	spa.Token = p.Token
	f = aal2Flow(t, spa)
	trig := mfatest.Node(f, "webauthn", "webauthn_login_trigger")
	if trig == nil {
		t.Fatalf("no webauthn trigger: %v", mfatest.Names(f))
	}
	a := &webauthntest.Authenticator{Origin: mfatest.Origin}
	a.Add(credID, handle, mfatest.RPID, 1, priv)
	assertion, err := a.Get(mfatest.Str(trig, "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := spa.Submit("login", f, map[string]any{"method": "webauthn", "webauthn_login": string(assertion)}); res.StatusCode != http.StatusOK {
		t.Fatalf("webauthn: %d %s", res.StatusCode, res.Body)
	}
	wantAAL2(t, p)
}

// aal1 signs email in with the password on a native client: an aal1 session that whoami
// refuses while a second factor is set up.
func aal1(t *testing.T, s *apptest.Server, email string) *mfatest.Party {
	t.Helper()
	p := mfatest.Anonymous(t, s, "native")
	p.Token = s.LoginNative(t, email, mfatest.Password)
	p.C.Header.Set("X-Session-Token", p.Token)
	if w := p.Whoami(); w.StatusCode != http.StatusForbidden {
		t.Fatalf("whoami at aal1: %d %s, want 403", w.StatusCode, w.Body)
	}
	return p
}

func aal2Flow(t *testing.T, p *mfatest.Party) map[string]any {
	t.Helper()
	res, f := p.StartLogin("aal=aal2")
	if f == nil {
		t.Fatalf("start aal2 login: %d %s", res.StatusCode, res.Body)
	}
	return f
}

func wantAAL2(t *testing.T, p *mfatest.Party) {
	t.Helper()
	c := p.S.Native(t)
	c.Header.Set("X-Session-Token", p.Token)
	w := c.Get(p.S.PublicURL("/sessions/whoami"))
	if w.StatusCode != http.StatusOK || mfatest.Str(w.Map(t), "authenticator_assurance_level") != "aal2" {
		t.Fatalf("whoami after the second factor: %d %s", w.StatusCode, w.Body)
	}
}
