package server_test

import (
	"encoding/base64"

	"github.com/portico-auth/portico/internal/apptest"
)

// withOIDC switches the oidc method on with one generic provider ("corp") whose issuer is an
// address nobody answers on: the route tables reach the callback routes without a provider
// (discovery happens only when a person is sent to the provider).
func withOIDC() []apptest.Option {
	mapper := base64.StdEncoding.EncodeToString([]byte(`{identity: {traits: {email: std.extVar('claims').email}}}`))
	return []apptest.Option{
		apptest.WithEnv("SELFSERVICE_METHODS_OIDC_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS", `[{"id":"corp","provider":"generic","client_id":"c",`+
			`"client_secret":"s","issuer_url":"http://127.0.0.1:9/","mapper_url":"base64://`+mapper+`"}]`),
	}
}
