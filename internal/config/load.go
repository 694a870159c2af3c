package config

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// defaultSchema is the identity schema used in dev mode when none is configured: an email that
// is the password identifier and the verification/recovery address, and a first and last name.
//
//go:embed default.schema.json
var defaultSchema []byte

// DefaultAdminHost is where the admin listener binds when serve.admin.host is empty.
const DefaultAdminHost = "127.0.0.1"

// DefaultIdentityCacheSize is serve.identity_cache_size's default: 1,024 identities, about
// 1-4 MB (an entry is about 1 KB for a password and an e-mail address, as README measures, a
// few KB with WebAuthn keys).
const DefaultIdentityCacheSize = 1024

// DefaultMemoryLimit is serve.memory_limit's default: the Go runtime's soft memory limit,
// sized for a small deployment (a live heap of 4-7 MB under bench/run.sh's 16 clients). The
// server raises it by itself to twice the live heap plus the runtime's other memory when that
// is more, so a larger deployment is not held to it.
const DefaultMemoryLimit ByteSize = 24 << 20

// DevDSN is the database used in dev mode when no dsn is configured.
const DevDSN = "sqlite://portico.db?_fk=true"

// DefaultMaxSessionsPerIdentity is session.max_per_identity's default: far more devices than a
// person signs in from, and a bound for a script that signs in on every run.
const DefaultMaxSessionsPerIdentity = 100

// LoadOptions changes how Load reads the configuration.
type LoadOptions struct {
	// Dev enables development defaults (SQLite file, built-in schema, text logs, cheaper bcrypt).
	Dev bool
	// Env looks up an environment variable; nil means os.LookupEnv.
	Env func(string) (string, bool)
}

// Load reads the YAML file at path ("" for none), applies environment overrides, fills in
// defaults and validates. Warnings are for things that work but deserve a look, such as keys
// Portico does not support; an error is one line naming the key.
func Load(path string, opts LoadOptions) (*Config, []string, error) {
	env := opts.Env
	if env == nil {
		env = os.LookupEnv
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("config: read %s: %w", path, err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, nil, fmt.Errorf("config: parse %s: %w", path, err)
		}
		if len(doc.Content) > 0 {
			switch n := doc.Content[0]; {
			case n.Kind == yaml.MappingNode:
				root = n
			case n.ShortTag() != "!!null":
				return nil, nil, fmt.Errorf("config: %s: the top level must be a mapping", path)
			}
		}
	}
	if err := overlayEnv(root, env); err != nil {
		return nil, nil, err
	}

	c := defaults()
	c.Dev = opts.Dev
	if opts.Dev {
		// A development server should show every factor the built-in UI can enrol without
		// extra set-up (WebAuthn needs a relying party and stays off); a config can turn them off.
		c.SelfService.Methods.TOTP.Enabled = true
		c.SelfService.Methods.LookupSecret.Enabled = true
	}
	var d decoder
	if err := d.decode("", root, reflect.ValueOf(c).Elem()); err != nil {
		return nil, nil, err
	}
	var warnings []string
	if len(d.unknown) > 0 {
		sort.Strings(d.unknown)
		warnings = append(warnings, "config: ignoring keys Portico does not support: "+strings.Join(d.unknown, ", "))
	}
	c.derive()
	w, err := c.validate()
	if err != nil {
		return nil, nil, err
	}
	return c, append(warnings, w...), nil
}

// defaults returns the defaults that do not depend on other keys (Kratos's values).
func defaults() *Config {
	hour := time.Hour
	return &Config{
		Serve:    Serve{Public: Listener{Port: 4433}, Admin: Listener{Port: 4434}, IdentityCacheSize: DefaultIdentityCacheSize, MemoryLimit: DefaultMemoryLimit},
		Identity: Identity{DefaultSchemaID: "default", TraitsMaxBytes: 64 << 10, MetadataMaxBytes: 64 << 10},
		Hashers: Hashers{
			Algorithm: "bcrypt",
			Bcrypt:    Bcrypt{Cost: 12},
			Argon2: Argon2{
				Memory: 128 << 20, Iterations: 1, Parallelism: runtime.NumCPU(),
				SaltLength: 16, KeyLength: 32,
			},
		},
		Session: Session{
			Lifespan:       24 * hour,
			MaxPerIdentity: DefaultMaxSessionsPerIdentity,
			Cookie:         SessionCookie{Name: "ory_kratos_session", Persistent: true},
			WhoAmI:         WhoAmI{RequiredAAL: AALHighestAvailable},
		},
		Cookies: Cookies{Path: "/", SameSite: "Lax"},
		SelfService: SelfService{
			Methods: Methods{
				Password: PasswordMethod{Enabled: true, Config: PasswordConfig{
					MinPasswordLength: 8, IdentifierSimilarityCheckEnabled: true,
				}},
				Profile: Method{Enabled: true},
				Code:    CodeMethod{Enabled: true, Config: CodeConfig{Lifespan: 15 * time.Minute}},
				Link:    LinkMethod{Enabled: true, Config: LinkConfig{Lifespan: 15 * time.Minute}},
			},
			Flows: Flows{
				Settings: SettingsFlow{Lifespan: hour, PrivilegedSessionMaxAge: hour, RequiredAAL: AALHighestAvailable,
					RevokeOtherSessionsOnCredentialChange: true},
				Login: LoginFlow{Lifespan: hour},
				Registration: RegistrationFlow{Enabled: true, Lifespan: hour, After: After{
					Password: MethodAfter{Hooks: []Hook{{Hook: "session"}}},
				}},
				Verification: ToggleFlow{Lifespan: hour, Use: "code"},
				Recovery:     ToggleFlow{Lifespan: hour, Use: "code"},
			},
		},
		Courier: Courier{
			SMTP:             SMTP{FromAddress: "no-reply@portico.invalid"},
			MessageRetries:   5,
			DeliveryStrategy: "smtp",
			Worker:           CourierWorker{PullCount: 10, PullWait: time.Second},
			Notices:          CourierNotices{CredentialChanged: Toggle{Enabled: true}},
		},
		Log:   Log{Level: "info"},
		Audit: Audit{Retention: DefaultAuditRetention},
	}
}

// DefaultAuditRetention is how long audit events are kept unless audit.retention says otherwise.
const DefaultAuditRetention = 90 * 24 * time.Hour

// derive fills the defaults that depend on other keys or on dev mode.
func (c *Config) derive() {
	// The admin API has no authentication of its own: unless serve.admin.host says where else
	// to listen, it answers on this machine only (an empty host would mean every interface).
	if c.Serve.Admin.Host == "" {
		c.Serve.Admin.Host = DefaultAdminHost
	}
	for _, l := range []*Listener{&c.Serve.Public, &c.Serve.Admin} {
		if l.BaseURL == "" {
			l.BaseURL = fmt.Sprintf("http://127.0.0.1:%d/", l.Port)
		}
		if !strings.HasSuffix(l.BaseURL, "/") {
			l.BaseURL += "/"
		}
	}
	pub := c.Serve.Public.BaseURL
	f := &c.SelfService.Flows
	for _, u := range []struct {
		field *string
		page  string
	}{
		{&f.Login.UIURL, "login"}, {&f.Registration.UIURL, "registration"},
		{&f.Settings.UIURL, "settings"}, {&f.Error.UIURL, "error"},
		{&f.Verification.UIURL, "verification"}, {&f.Recovery.UIURL, "recovery"},
		{&c.SelfService.DefaultBrowserReturnURL, "welcome"},
	} {
		if *u.field == "" {
			*u.field = pub + "ui/" + u.page
		}
	}
	if c.Session.EarliestPossibleExtend == 0 {
		c.Session.EarliestPossibleExtend = c.Session.Lifespan
	}
	sc := &c.Session.Cookie
	if sc.Path == "" {
		sc.Path = c.Cookies.Path
	}
	if sc.Domain == "" {
		sc.Domain = c.Cookies.Domain
	}
	if sc.SameSite == "" {
		sc.SameSite = c.Cookies.SameSite
	}
	for _, rp := range []*RP{&c.SelfService.Methods.WebAuthn.Config.RP, &c.SelfService.Methods.Passkey.Config.RP} {
		if rp.Origin != "" && len(rp.Origins) == 0 {
			rp.Origins = []string{rp.Origin}
		}
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
		if c.Dev {
			c.Log.Format = "text"
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "trace":
		c.Log.Level = "debug"
	case "warning":
		c.Log.Level = "warn"
	case "fatal", "panic":
		c.Log.Level = "error"
	}
	if c.Dev {
		if c.DSN == "" {
			c.DSN = DevDSN
		}
		if len(c.Identity.Schemas) == 0 {
			c.Identity.Schemas = []Schema{{
				ID:  c.Identity.DefaultSchemaID,
				URL: "base64://" + base64.StdEncoding.EncodeToString(defaultSchema),
			}}
		}
	}
}

// DefaultSchemaJSON returns the built-in identity schema used in dev mode.
func DefaultSchemaJSON() []byte { return append([]byte(nil), defaultSchema...) }
