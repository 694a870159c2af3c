package server_test

import (
	"testing"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/method/oidc"
)

// TestOIDCKindsBuild: every provider kind the configuration accepts is one the oidc method
// builds, so that a configuration that loads never fails when the server starts.
func TestOIDCKindsBuild(t *testing.T) {
	for _, kind := range config.OIDCProviderKinds {
		p := oidc.ProviderConfig{ID: kind, Provider: kind, ClientID: "c", ClientSecret: "s", IssuerURL: "https://id.example.com/", MicrosoftTenant: "common"}
		if _, err := oidc.New(p, nil); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
	}
}
