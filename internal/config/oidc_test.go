package config

import (
	"testing"
)

const oidcProviders = `
selfservice:
  methods:
    oidc:
      enabled: true
      config:
        providers:
`

func TestOIDCProviders(t *testing.T) {
	c, w := mustLoad(t, minimal+oidcProviders+`
          - id: corp
            provider: generic
            client_id: portico
            client_secret: s3cret
            issuer_url: https://id.example.com
            mapper_url: base64://bG9jYWwgYyA9IHN0ZC5leHRWYXIoJ2NsYWltcycpOyB7aWRlbnRpdHk6IHt0cmFpdHM6IHtlbWFpbDogYy5lbWFpbH19fQ==
            scope: [openid, email]
            requested_claims: {id_token: {email: {essential: true}}}
            label: Corp
          - id: ms
            provider: microsoft
            client_id: x
            client_secret: y
            mapper_url: file:///etc/portico/ms.jsonnet
          - id: apple
            provider: apple
            client_id: com.example
            apple_team_id: TEAM
            apple_private_key_id: KEY
            apple_private_key: "-----BEGIN PRIVATE KEY-----"
            mapper_url: https://config.example.com/apple.jsonnet
`, map[string]string{}, false)
	if len(w) != 0 {
		t.Fatalf("warnings: %v", w)
	}
	m := c.SelfService.Methods.OIDC
	if !m.Enabled || len(m.Config.Providers) != 3 {
		t.Fatalf("oidc: %+v", m)
	}
	p := m.Config.Providers[0]
	if p.ID != "corp" || p.Label != "Corp" || len(p.Scope) != 2 || p.PKCE != "auto" || p.ClaimsSource != "id_token" {
		t.Errorf("generic: %+v", p)
	}
	if rc, ok := p.RequestedClaims.(map[string]any); !ok || rc["id_token"] == nil {
		t.Errorf("requested_claims: %#v", p.RequestedClaims)
	}
	if ms := m.Config.Providers[1]; ms.MicrosoftTenant != "common" || ms.SubjectSource != "userinfo" {
		t.Errorf("microsoft defaults: %+v", ms)
	}
}

func TestOIDCProvidersFromEnv(t *testing.T) {
	c, _ := mustLoad(t, minimal, map[string]string{
		"SELFSERVICE_METHODS_OIDC_ENABLED":          "true",
		"SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS": `[{"id":"gh","provider":"github","client_id":"a","client_secret":"b","mapper_url":"file:///m.jsonnet"}]`,
	}, false)
	if ps := c.SelfService.Methods.OIDC.Config.Providers; len(ps) != 1 || ps[0].Provider != "github" {
		t.Fatalf("providers from env: %+v", ps)
	}
}

func TestOIDCValidation(t *testing.T) {
	const ok = "            client_id: a\n            client_secret: b\n            mapper_url: file:///m.jsonnet\n"
	for _, tc := range []struct {
		name, providers, want string
	}{
		{"id charset", "          - id: a/b\n            provider: github\n" + ok, `config: selfservice.methods.oidc.config.providers[0].id: must be 1 to 64 letters, digits, '.', '_' or '-', got "a/b"`},
		{"duplicate id", "          - id: gh\n            provider: github\n" + ok + "          - id: gh\n            provider: gitlab\n" + ok, `config: selfservice.methods.oidc.config.providers[1].id: "gh" is used by another provider`},
		{"unknown kind", "          - id: x\n            provider: myspace\n" + ok, `config: selfservice.methods.oidc.config.providers[0].provider: must be one of generic, google, github, github-app, gitlab, microsoft, discord, slack, auth0, keycloak, apple, linkedin, facebook, spotify, amazon, patreon, yandex, got "myspace"`},
		{"no client id", "          - id: x\n            provider: github\n            mapper_url: file:///m\n", `config: selfservice.methods.oidc.config.providers[0].client_id: required`},
		{"no mapper", "          - id: x\n            provider: github\n            client_id: a\n            client_secret: b\n", `config: selfservice.methods.oidc.config.providers[0].mapper_url: required: a Jsonnet mapper (file://, base64:// or http(s)://)`},
		{"mapper scheme", "          - id: x\n            provider: github\n            client_id: a\n            client_secret: b\n            mapper_url: ftp://m\n", `config: selfservice.methods.oidc.config.providers[0].mapper_url: must be a file://, http(s):// or base64:// URL, got "ftp://m"`},
		{"generic needs issuer", "          - id: x\n            provider: generic\n" + ok, `config: selfservice.methods.oidc.config.providers[0].issuer_url: required for provider "generic"`},
		{"issuer url", "          - id: x\n            provider: generic\n            issuer_url: /relative\n" + ok, `config: selfservice.methods.oidc.config.providers[0].issuer_url: must be an absolute http(s) URL, got "/relative"`},
		{"secret", "          - id: x\n            provider: gitlab\n            client_id: a\n            mapper_url: file:///m\n", `config: selfservice.methods.oidc.config.providers[0].client_secret: required for provider "gitlab"`},
		{"apple key", "          - id: x\n            provider: apple\n            client_id: a\n            apple_team_id: t\n            mapper_url: file:///m\n", `config: selfservice.methods.oidc.config.providers[0]: apple needs client_secret, or apple_team_id, apple_private_key_id and apple_private_key to sign one`},
		{"tenant", "          - id: x\n            provider: microsoft\n            microsoft_tenant: a/b\n" + ok, `config: selfservice.methods.oidc.config.providers[0].microsoft_tenant: must be a tenant name or id, got "a/b"`},
		{"pkce", "          - id: x\n            provider: github\n            pkce: sometimes\n" + ok, `config: selfservice.methods.oidc.config.providers[0].pkce: must be one of auto, force, never, got "sometimes"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := load(t, minimal+oidcProviders+tc.providers, nil, false)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
	// A disabled method is not checked: Kratos's shipped configs list providers to switch on later.
	if _, _, err := load(t, minimal+"selfservice:\n  methods:\n    oidc:\n      enabled: false\n      config:\n        providers:\n          - id: x\n", nil, false); err != nil {
		t.Fatalf("disabled: %v", err)
	}
}
