package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// api is a provider API on loopback: each path answers its JSON, and only to the bearer
// token "tok".
func api(t *testing.T, replies map[string]string) string {
	t.Helper()
	return restAPI(t, "Bearer tok", nil, replies)
}

var tok = &oauth2.Token{AccessToken: "tok", TokenType: "Bearer"}

func TestGitHubClaims(t *testing.T) {
	for _, tc := range []struct {
		name, emails  string
		email         string
		verified, bad bool
	}{
		{"primary verified", `[{"email":"old@example.com","primary":false,"verified":true},{"email":"ada@example.com","primary":true,"verified":true}]`, "ada@example.com", true, false},
		{"primary unverified", `[{"email":"ada@example.com","primary":true,"verified":false}]`, "ada@example.com", false, false},
		{"no emails: public email, unverified", `[]`, "public@example.com", false, false},
		{"emails not a list", `{"message":"nope"}`, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := api(t, map[string]string{
				"/user":        `{"id":583231,"login":"octocat","name":"The Octocat","email":"public@example.com","avatar_url":"https://a/b.png"}`,
				"/user/emails": tc.emails,
			})
			p, err := New(ProviderConfig{ID: "gh", Provider: "github", ClientID: "c", ClientSecret: "s", IssuerURL: base}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, err := p.Claims(context.Background(), tok, "")
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted: %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != "583231" || c.Nickname != "octocat" || c.Name != "The Octocat" || c.Email != tc.email || c.EmailVerified != tc.verified || c.Picture != "https://a/b.png" {
				t.Fatalf("claims: %+v", c)
			}
		})
	}
	base := api(t, map[string]string{"/user": `{"login":"no-id"}`})
	p, _ := New(ProviderConfig{ID: "gh", Provider: "github", ClientID: "c", ClientSecret: "s", IssuerURL: base}, nil)
	if _, err := p.Claims(context.Background(), tok, ""); err == nil {
		t.Fatal("a user without an id was accepted")
	}
	if _, err := p.Claims(context.Background(), &oauth2.Token{AccessToken: "other"}, ""); err == nil {
		t.Fatal("an API refusal was accepted")
	}
}

func TestDiscordClaims(t *testing.T) {
	base := api(t, map[string]string{"/users/@me": `{"id":"80351110224678912","username":"nelly","global_name":"Nelly","email":"nelly@example.com","verified":true,"avatar":"8342729096ea3675442027381ff50dfe","locale":"en-US"}`})
	p, err := New(ProviderConfig{ID: "d", Provider: "discord", ClientID: "c", ClientSecret: "s", IssuerURL: base}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Claims(context.Background(), tok, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "80351110224678912" || c.Email != "nelly@example.com" || !c.EmailVerified || c.Name != "Nelly" ||
		c.Picture != "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png" || c.Raw["locale"] != "en-US" {
		t.Fatalf("claims: %+v", c)
	}
	oc, _ := p.OAuth2(context.Background())
	if strings.Join(oc.Scopes, " ") != "identify email" {
		t.Errorf("scopes %v", oc.Scopes)
	}
}

// TestOpenIDDefaults: the issuer each OpenID kind discovers from.
func TestOpenIDDefaults(t *testing.T) {
	for _, tc := range []struct {
		p          ProviderConfig
		issuer     string
		skipIssuer bool
	}{
		{ProviderConfig{Provider: "google"}, "https://accounts.google.com", false},
		{ProviderConfig{Provider: "gitlab"}, "https://gitlab.com", false},
		{ProviderConfig{Provider: "gitlab", IssuerURL: "https://git.example.com/"}, "https://git.example.com", false},
		{ProviderConfig{Provider: "slack"}, "https://slack.com", false},
		{ProviderConfig{Provider: "linkedin"}, "https://www.linkedin.com/oauth", false},
		{ProviderConfig{Provider: "microsoft", MicrosoftTenant: "common"}, "https://login.microsoftonline.com/common/v2.0", true},
		{ProviderConfig{Provider: "microsoft", MicrosoftTenant: "organizations"}, "https://login.microsoftonline.com/organizations/v2.0", true},
		{ProviderConfig{Provider: "microsoft", MicrosoftTenant: "9188040d-6c67-4c5b-b112-36a304b66dad"}, "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", false},
		{ProviderConfig{Provider: "keycloak", IssuerURL: "https://kc.example.com/realms/r"}, "https://kc.example.com/realms/r", false},
		{ProviderConfig{Provider: "auth0", IssuerURL: "https://t.eu.auth0.com/"}, "https://t.eu.auth0.com", false},
	} {
		o := newOpenID(tc.p, http.DefaultClient)
		if o.issuer != tc.issuer || o.skipIssuer != tc.skipIssuer {
			t.Errorf("%s %s: issuer %q skip %v", tc.p.Provider, tc.p.MicrosoftTenant, o.issuer, o.skipIssuer)
		}
	}
}

func TestClaimsFromJSON(t *testing.T) {
	c, err := claimsFromJSON([]byte(`{"iss":"i","sub":"s","email":"a@example.com","email_verified":"true","given_name":"A","hd":"example.com","extra":[1]}`))
	if err != nil || c.Subject != "s" || !c.EmailVerified || c.GivenName != "A" || c.HD != "example.com" || c.Raw["extra"] == nil {
		t.Fatalf("%+v %v", c, err)
	}
	if c, _ := claimsFromJSON([]byte(`{"sub":"s","email_verified":"yes"}`)); c.EmailVerified {
		t.Error(`"yes" counted as verified`)
	}
	if _, err := claimsFromJSON([]byte(`{"sub":"` + strings.Repeat("x", maxClaimsBytes) + `"}`)); err == nil {
		t.Error("oversized claims accepted")
	}
}

// TestAppleClientSecret: the secret is an ES256 JWT from the team about the client, for
// Apple, short-lived, verifiable with the team's public key.
func TestAppleClientSecret(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	p, err := New(ProviderConfig{ID: "apple", Provider: "apple", ClientID: "com.example.web", AppleTeamID: "TEAM123", ApplePrivateKeyID: "KEY456", ApplePrivateKey: pemKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := p.(*apple)
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	secret, err := a.clientSecret()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Headers[0].KeyID != "KEY456" {
		t.Errorf("kid %q", tok.Headers[0].KeyID)
	}
	var c jwt.Claims
	if err := tok.Claims(&key.PublicKey, &c); err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: "TEAM123", Subject: "com.example.web", AnyAudience: jwt.Audience{"https://appleid.apple.com"}, Time: now.Add(4 * time.Minute)}, 0); err != nil {
		t.Errorf("claims: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Time: now.Add(6 * time.Minute)}, 0); err == nil {
		t.Error("the secret is valid for more than five minutes")
	}
	if u := (&oauth2.Config{ClientID: "c"}).AuthCodeURL("s", p.AuthOptions()...); !strings.Contains(u, "response_mode=form_post") {
		t.Errorf("apple's authorisation request: %s", u)
	}
	if _, err := New(ProviderConfig{ID: "apple", Provider: "apple", ClientID: "c", ApplePrivateKey: "not pem"}, nil); err == nil {
		t.Error("a bad key was accepted")
	}
}

// TestMicrosoftIssuer: a multi-tenant token must name Microsoft's issuer of its own tenant.
func TestMicrosoftIssuer(t *testing.T) {
	for _, tc := range []struct {
		iss, tid string
		ok       bool
	}{
		{"https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "9188040d-6c67-4c5b-b112-36a304b66dad", true},
		{"https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "72f988bf-86f1-41af-91ab-2d7cd011db47", false},
		{"https://evil.example.com/9188040d/v2.0", "9188040d", false},
		{"https://login.microsoftonline.com//v2.0", "", false},
	} {
		if err := microsoftIssuer(tc.iss, tc.tid); (err == nil) != tc.ok {
			t.Errorf("%s / %s: %v", tc.iss, tc.tid, err)
		}
	}
}

// TestAppleUserField: the name Apple posts once as "user" fills in the names the ID token
// lacks, never replaces one it has, never sets the address; a bad or oversized field is
// ignored.
func TestAppleUserField(t *testing.T) {
	a := &apple{openID: &openID{}}
	user := `{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"someone-else@example.com"}`
	for _, tc := range []struct {
		name      string
		user      string
		before    Claims
		wantGiven string
		wantName  string
	}{
		{"first callback", user, Claims{Email: "ada@privaterelay.appleid.com"}, "Ada", "Ada Lovelace"},
		{"the token's name wins", user, Claims{GivenName: "Augusta", Name: "Augusta"}, "Augusta", "Augusta"},
		{"later callbacks carry none", "", Claims{}, "", ""},
		{"not JSON", "{", Claims{}, "", ""},
		{"too large", `{"name":{"firstName":"` + strings.Repeat("x", 5000) + `"}}`, Claims{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.before
			email := c.Email
			a.callbackClaims(url.Values{"user": {tc.user}}, &c)
			if c.GivenName != tc.wantGiven || c.Name != tc.wantName || c.Email != email {
				t.Fatalf("claims %+v", c)
			}
		})
	}
}
