package oidc

// ProviderConfig is one provider as the server configures it (an entry of
// selfservice.methods.oidc.config.providers; see internal/config.OIDCProvider for what each
// key means). It has the configuration type's fields in the same order, so that the server
// converts one into the other and the compiler tells when the two part.
type ProviderConfig struct {
	// ID names the provider in the callback path, the provider node's value and the
	// credential identifiers ("<id>:<subject>").
	ID string
	// Provider is the kind (generic, google, github, github-app, gitlab, microsoft, discord,
	// slack, auth0, keycloak, apple, linkedin, facebook, spotify, amazon, patreon, yandex).
	Provider     string
	Label        string
	ClientID     string
	ClientSecret string
	IssuerURL    string
	// AuthURL and TokenURL replace the discovered or built-in endpoints.
	AuthURL  string
	TokenURL string
	// MapperURL is the Jsonnet that turns claims into traits (file://, base64://, http(s)://).
	MapperURL       string
	Scope           []string
	RequestedClaims any
	MicrosoftTenant string
	SubjectSource   string
	// Apple signs its client secret with this key when ClientSecret is empty.
	AppleTeamID                string
	ApplePrivateKeyID          string
	ApplePrivateKey            string
	AdditionalIDTokenAudiences []string
	PKCE                       string
	ClaimsSource               string
	// OrganizationID is accepted and unused (Portico has no organizations).
	OrganizationID string
}
