package config

import "time"

// Config is the whole configuration. Field tags are Kratos's key names.
type Config struct {
	Version     string      `yaml:"version"` // Kratos's config version; accepted and ignored
	DSN         string      `yaml:"dsn"`
	Serve       Serve       `yaml:"serve"`
	Secrets     Secrets     `yaml:"secrets"`
	Identity    Identity    `yaml:"identity"`
	Hashers     Hashers     `yaml:"hashers"`
	Session     Session     `yaml:"session"`
	Cookies     Cookies     `yaml:"cookies"`
	SelfService SelfService `yaml:"selfservice"`
	Courier     Courier     `yaml:"courier"`
	Audit       Audit       `yaml:"audit"`
	Log         Log         `yaml:"log"`

	// Dev is set by LoadOptions.Dev: development defaults, and cookies without Secure on http.
	Dev bool `yaml:"-"`
}

// Serve holds both listeners.
type Serve struct {
	Public Listener `yaml:"public"`
	Admin  Listener `yaml:"admin"`
	// IdentityCacheSize (serve.identity_cache_size, Portico's own) is how many identities'
	// credentials and addresses a server remembers for session reads (whoami, every flow of a
	// signed-in user), each checked against the identity row's version on every read; 0 turns
	// the memory off. Default DefaultIdentityCacheSize.
	IdentityCacheSize int `yaml:"identity_cache_size"`
	// MemoryLimit (serve.memory_limit, Portico's own) is the Go runtime's soft memory limit
	// while serving (as GOMEMLIMIT, which wins when set); 0 turns it off. It is raised by
	// itself when the live heap needs more room. Default DefaultMemoryLimit.
	MemoryLimit ByteSize `yaml:"memory_limit"`
}

// Listener is one HTTP listener. BaseURL always ends with "/".
type Listener struct {
	Host    string `yaml:"host"`
	Port    int    `yaml:"port"`
	BaseURL string `yaml:"base_url"`
	CORS    CORS   `yaml:"cors"`
	// TrustedProxies (serve.public.trusted_proxies: CIDRs or addresses) are the proxies whose
	// X-Forwarded-For / Forwarded headers name the client address that per-source limits
	// count. Empty trusts none: the connection's peer is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// CORS is the CORS policy of a listener.
type CORS struct {
	Enabled          bool     `yaml:"enabled"`
	AllowedOrigins   []string `yaml:"allowed_origins"`
	AllowedMethods   []string `yaml:"allowed_methods"`
	AllowedHeaders   []string `yaml:"allowed_headers"`
	ExposedHeaders   []string `yaml:"exposed_headers"`
	AllowCredentials bool     `yaml:"allow_credentials"`
	Debug            bool     `yaml:"debug"`
}

// Secrets are rotated lists: the first entry signs, all entries verify.
type Secrets struct {
	Default []string `yaml:"default"`
	Cookie  []string `yaml:"cookie"`
	Cipher  []string `yaml:"cipher"`
	// KratosCookie are Kratos's secrets.cookie, for a move from Kratos: a browser still holding
	// the ory_kratos_session cookie Kratos signed with one of them stays signed in (Portico's own
	// key; only read, never used to sign).
	KratosCookie []string `yaml:"kratos_cookie"`
}

// Identity configures trait schemas.
type Identity struct {
	DefaultSchemaID string   `yaml:"default_schema_id"`
	Schemas         []Schema `yaml:"schemas"`
	// TraitsMaxBytes caps an identity's traits (as JSON) and MetadataMaxBytes each of its
	// metadata_public and metadata_admin: Portico's keys (Kratos bounds neither), so that a
	// user cannot store a megabyte per identity and have every flow copy it. 0 means 64KB.
	TraitsMaxBytes   ByteSize `yaml:"traits_max_bytes"`
	MetadataMaxBytes ByteSize `yaml:"metadata_max_bytes"`
}

// Schema is an identity schema: url is file://, http(s):// or base64://.
type Schema struct {
	ID  string `yaml:"id"`
	URL string `yaml:"url"`
}

// Hashers configures password hashing.
type Hashers struct {
	Algorithm string `yaml:"algorithm"` // argon2 | bcrypt
	Bcrypt    Bcrypt `yaml:"bcrypt"`
	Argon2    Argon2 `yaml:"argon2"`
}

// Bcrypt holds bcrypt's cost.
type Bcrypt struct {
	Cost int `yaml:"cost"`
}

// Argon2 holds argon2id parameters.
type Argon2 struct {
	Memory            ByteSize      `yaml:"memory"`
	Iterations        int           `yaml:"iterations"`
	Parallelism       int           `yaml:"parallelism"`
	SaltLength        int           `yaml:"salt_length"`
	KeyLength         int           `yaml:"key_length"`
	ExpectedDuration  time.Duration `yaml:"expected_duration"`  // accepted, unused
	ExpectedDeviation time.Duration `yaml:"expected_deviation"` // accepted, unused
	DedicatedMemory   ByteSize      `yaml:"dedicated_memory"`   // accepted, unused
}

// Session configures sessions and their cookie.
type Session struct {
	Lifespan               time.Duration `yaml:"lifespan"`
	EarliestPossibleExtend time.Duration `yaml:"earliest_possible_extend"`
	// MaxPerIdentity is Portico's own: an identity's live sessions beyond it are revoked,
	// oldest first, when a new one is issued (0 = no cap).
	MaxPerIdentity int           `yaml:"max_per_identity"`
	Cookie         SessionCookie `yaml:"cookie"`
	WhoAmI         WhoAmI        `yaml:"whoami"`
}

// SessionCookie configures the session cookie.
type SessionCookie struct {
	Name       string `yaml:"name"`
	Persistent bool   `yaml:"persistent"`
	Path       string `yaml:"path"`
	Domain     string `yaml:"domain"`
	SameSite   string `yaml:"same_site"`
}

// WhoAmI configures /sessions/whoami.
type WhoAmI struct {
	RequiredAAL string `yaml:"required_aal"` // highest_available | aal1
}

// Cookies are defaults for every cookie Portico sets.
type Cookies struct {
	Domain   string `yaml:"domain"`
	Path     string `yaml:"path"`
	SameSite string `yaml:"same_site"`
}

// SelfService configures the self-service flows and methods.
type SelfService struct {
	DefaultBrowserReturnURL string   `yaml:"default_browser_return_url"`
	AllowedReturnURLs       []string `yaml:"allowed_return_urls"`
	Methods                 Methods  `yaml:"methods"`
	Flows                   Flows    `yaml:"flows"`
	// WebHooks bounds the calls of every web_hook (Portico's keys; Kratos has none).
	WebHooks WebHooks `yaml:"web_hooks"`
}

// WebHooks is selfservice.web_hooks: how long one attempt of a web hook's call may take, how
// many attempts a call gets (0: 10s and 3), and how long one request of a flow may wait for
// all its hooks together (0: 30s).
type WebHooks struct {
	Timeout     time.Duration `yaml:"timeout"`
	Attempts    int           `yaml:"attempts"`
	FlowTimeout time.Duration `yaml:"flow_timeout"`
}

// Methods lists the credential methods.
type Methods struct {
	Password     PasswordMethod `yaml:"password"`
	Profile      Method         `yaml:"profile"`
	TOTP         TOTPMethod     `yaml:"totp"`
	LookupSecret Method         `yaml:"lookup_secret"`
	WebAuthn     WebAuthnMethod `yaml:"webauthn"`
	Passkey      PasskeyMethod  `yaml:"passkey"`
	Code         CodeMethod     `yaml:"code"`
	Link         LinkMethod     `yaml:"link"`
	OIDC         OIDCMethod     `yaml:"oidc"`
	// DeleteAccount is Portico's own settings method delete_account (off by default).
	DeleteAccount Method `yaml:"delete_account"`
}

// CodeMethod is selfservice.methods.code: one-time codes for verification and recovery, and
// for sign-in when passwordless_enabled (or as a second factor when mfa_enabled).
type CodeMethod struct {
	Enabled             bool       `yaml:"enabled"`
	PasswordlessEnabled bool       `yaml:"passwordless_enabled"`
	MFAEnabled          bool       `yaml:"mfa_enabled"`
	Config              CodeConfig `yaml:"config"`
}

// CodeConfig is selfservice.methods.code.config.
type CodeConfig struct {
	// Lifespan is how long a code is accepted (Kratos's default 15m).
	Lifespan time.Duration `yaml:"lifespan"`
}

// LinkMethod is selfservice.methods.link: links with a one-time token for verification and
// recovery.
type LinkMethod struct {
	Enabled bool       `yaml:"enabled"`
	Config  LinkConfig `yaml:"config"`
}

// LinkConfig is selfservice.methods.link.config.
type LinkConfig struct {
	Lifespan time.Duration `yaml:"lifespan"`
	// BaseURL is the base of the links sent (the public base URL when empty).
	BaseURL string `yaml:"base_url"`
}

// Method is a method with nothing to configure but whether it is on.
type Method struct {
	Enabled bool `yaml:"enabled"`
}

// PasswordMethod is the password method.
type PasswordMethod struct {
	Enabled bool           `yaml:"enabled"`
	Config  PasswordConfig `yaml:"config"`
}

// PasswordConfig is the password policy.
type PasswordConfig struct {
	HaveIBeenPwnedEnabled            bool   `yaml:"haveibeenpwned_enabled"` // accepted, ignored
	HaveIBeenPwnedHost               string `yaml:"haveibeenpwned_host"`    // accepted, ignored
	MaxBreaches                      int    `yaml:"max_breaches"`           // accepted, ignored
	IgnoreNetworkErrors              bool   `yaml:"ignore_network_errors"`  // accepted, ignored
	MinPasswordLength                int    `yaml:"min_password_length"`
	IdentifierSimilarityCheckEnabled bool   `yaml:"identifier_similarity_check_enabled"`
	// RequireCurrentPassword (Portico's own, default false) makes a settings password change
	// of an identity that has a password name the current one too.
	RequireCurrentPassword bool `yaml:"require_current_password"`
}

// TOTPMethod is the TOTP method.
type TOTPMethod struct {
	Enabled bool       `yaml:"enabled"`
	Config  TOTPConfig `yaml:"config"`
}

// TOTPConfig configures TOTP.
type TOTPConfig struct {
	Issuer string `yaml:"issuer"`
}

// WebAuthnMethod is the WebAuthn method.
type WebAuthnMethod struct {
	Enabled bool           `yaml:"enabled"`
	Config  WebAuthnConfig `yaml:"config"`
}

// WebAuthnConfig configures WebAuthn.
type WebAuthnConfig struct {
	Passwordless bool `yaml:"passwordless"`
	RP           RP   `yaml:"rp"`
}

// PasskeyMethod is the passkey method.
type PasskeyMethod struct {
	Enabled bool          `yaml:"enabled"`
	Config  PasskeyConfig `yaml:"config"`
}

// PasskeyConfig configures passkeys.
type PasskeyConfig struct {
	RP RP `yaml:"rp"`
}

// RP is a WebAuthn relying party. Origin is Kratos's older single-origin key, folded into Origins.
type RP struct {
	ID          string   `yaml:"id"`
	DisplayName string   `yaml:"display_name"`
	Origin      string   `yaml:"origin"`
	Origins     []string `yaml:"origins"`
}

// Flows holds every self-service flow.
type Flows struct {
	Settings     SettingsFlow     `yaml:"settings"`
	Login        LoginFlow        `yaml:"login"`
	Registration RegistrationFlow `yaml:"registration"`
	Error        ErrorFlow        `yaml:"error"`
	Logout       LogoutFlow       `yaml:"logout"`
	Verification ToggleFlow       `yaml:"verification"`
	Recovery     ToggleFlow       `yaml:"recovery"`
}

// SettingsFlow is selfservice.flows.settings.
type SettingsFlow struct {
	UIURL                   string        `yaml:"ui_url"`
	Lifespan                time.Duration `yaml:"lifespan"`
	PrivilegedSessionMaxAge time.Duration `yaml:"privileged_session_max_age"`
	RequiredAAL             string        `yaml:"required_aal"` // highest_available | aal1 | aal2_enrol (Portico's own)
	Before                  Before        `yaml:"before"`
	After                   After         `yaml:"after"`
	// RevokeOtherSessionsOnCredentialChange (Portico's own, default true) ends every other
	// session of the identity, in the change's transaction, when a settings change touches a
	// credential or the recovery addresses; false keeps Kratos's default, where only the
	// revoke_active_sessions hook of the method does.
	RevokeOtherSessionsOnCredentialChange bool `yaml:"revoke_other_sessions_on_credential_change"`
}

// LoginFlow is selfservice.flows.login.
type LoginFlow struct {
	UIURL    string        `yaml:"ui_url"`
	Lifespan time.Duration `yaml:"lifespan"`
	Before   Before        `yaml:"before"`
	After    After         `yaml:"after"`
}

// RegistrationFlow is selfservice.flows.registration.
type RegistrationFlow struct {
	Enabled  bool          `yaml:"enabled"`
	UIURL    string        `yaml:"ui_url"`
	Lifespan time.Duration `yaml:"lifespan"`
	Before   Before        `yaml:"before"`
	After    After         `yaml:"after"`
}

// ErrorFlow is selfservice.flows.error.
type ErrorFlow struct {
	UIURL string `yaml:"ui_url"`
}

// LogoutFlow is selfservice.flows.logout.
type LogoutFlow struct {
	After MethodAfter `yaml:"after"`
}

// ToggleFlow is a flow that can be switched off (verification, recovery).
type ToggleFlow struct {
	Enabled  bool          `yaml:"enabled"`
	UIURL    string        `yaml:"ui_url"`
	Lifespan time.Duration `yaml:"lifespan"`
	Use      string        `yaml:"use"` // code | link
	Before   Before        `yaml:"before"`
	After    MethodAfter   `yaml:"after"`
	// NotifyUnknownRecipients sends the "invalid" message to an address no identity holds
	// (Kratos's default false: nothing is sent; the reply is the same either way).
	NotifyUnknownRecipients bool `yaml:"notify_unknown_recipients"`
}

// After is what happens after a flow succeeds: hooks for every method, and per-method overrides.
type After struct {
	DefaultBrowserReturnURL string      `yaml:"default_browser_return_url"`
	Hooks                   []Hook      `yaml:"hooks"`
	Password                MethodAfter `yaml:"password"`
	Profile                 MethodAfter `yaml:"profile"`
	TOTP                    MethodAfter `yaml:"totp"`
	LookupSecret            MethodAfter `yaml:"lookup_secret"`
	WebAuthn                MethodAfter `yaml:"webauthn"`
	Passkey                 MethodAfter `yaml:"passkey"`
	OIDC                    MethodAfter `yaml:"oidc"`
}

// Before is what runs when a flow is created: its hooks (web_hook only).
type Before struct {
	Hooks []Hook `yaml:"hooks"`
}

// MethodAfter is the after-section of one method.
type MethodAfter struct {
	DefaultBrowserReturnURL string `yaml:"default_browser_return_url"`
	Hooks                   []Hook `yaml:"hooks"`
}

// Hook is a post-flow hook. Config is kept as decoded YAML for hooks that take one.
type Hook struct {
	Hook   string `yaml:"hook"`
	Config any    `yaml:"config"`
}

// Log configures logging.
type Log struct {
	Level               string `yaml:"level"`                 // debug | info | warn | error
	Format              string `yaml:"format"`                // json | text
	LeakSensitiveValues bool   `yaml:"leak_sensitive_values"` // accepted, ignored: Portico never logs secrets
	RedactionText       string `yaml:"redaction_text"`        // accepted, ignored
}

// Audit configures the audit trail of security events (Portico's own: Kratos keeps none).
type Audit struct {
	// Retention is how long an event is kept (audit.retention, default 90 days); the cleanup
	// loop and `portico cleanup` delete older ones.
	Retention time.Duration `yaml:"retention"`
	// ShowInSettings (audit.show_in_settings, off by default) adds the person's own recent
	// events to the settings flow as text nodes of the group "default": off, a Kratos client
	// sees the settings flow exactly as Kratos sends it.
	ShowInSettings bool `yaml:"show_in_settings"`
}
