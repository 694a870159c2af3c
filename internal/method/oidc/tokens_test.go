package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/method/oidc"
)

// TestUpstreamTokens: the provider's tokens are kept sealed in the credential (the stored
// config holds no token in the clear), no admin reply shows them unless asked with
// include_credential=oidc, and then they are the tokens the provider issued.
func TestUpstreamTokens(t *testing.T) {
	g := start(t)
	_, id := g.signUp(t)
	stored, err := g.s.App.Store.GetIdentity(context.Background(), uuid.MustParse(id), true)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := oidc.ReadConfig(stored)
	if err != nil || len(sealed.Providers) != 1 {
		t.Fatalf("config %+v %v", sealed, err)
	}
	lp := sealed.Providers[0]
	if lp.Provider != "corp" || lp.Subject != g.ada || lp.InitialIDToken == "" || lp.InitialAccessToken == "" ||
		strings.HasPrefix(lp.InitialIDToken, "eyJ") || strings.Count(lp.InitialIDToken, ".") == 2 {
		t.Fatalf("stored provider entry: %+v", lp)
	}

	adm := g.s.Native(t)
	for _, q := range []string{"", "?include_credential=password"} {
		r := adm.Get(g.s.AdminURL("/admin/identities/" + id + q))
		if strings.Contains(string(r.Body), "initial_") {
			t.Errorf("%q shows the tokens: %s", q, r.Body)
		}
	}
	r := adm.Get(g.s.AdminURL("/admin/identities/" + id + "?include_credential=oidc"))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	var out struct {
		Credentials struct {
			OIDC struct {
				Identifiers []string              `json:"identifiers"`
				Config      oidc.CredentialConfig `json:"config"`
			} `json:"oidc"`
		} `json:"credentials"`
	}
	r.JSON(t, &out)
	shown := out.Credentials.OIDC.Config.Providers
	if len(shown) != 1 || strings.Count(shown[0].InitialIDToken, ".") != 2 || shown[0].InitialAccessToken == "" || shown[0].InitialAccessToken == lp.InitialAccessToken {
		t.Fatalf("revealed: %+v", shown)
	}
	// The ID token is the provider's, about this person, for this client.
	var claims struct {
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
	}
	parts := strings.Split(shown[0].InitialIDToken, ".")
	raw, err := decodeSegment(parts[1])
	if err != nil || json.Unmarshal(raw, &claims) != nil || claims.Sub != g.ada {
		t.Fatalf("ID token claims %s %v", raw, err)
	}
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
