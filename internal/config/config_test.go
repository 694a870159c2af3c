package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// env returns an Env function over a fixed map, so tests never see the real environment.
func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

// minimal is the least a non-dev configuration needs.
const minimal = `
dsn: memory
identity:
  schemas:
    - id: default
      url: file:///schema.json
`

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "portico.yml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, body string, vars map[string]string, dev bool) (*Config, []string, error) {
	t.Helper()
	path := ""
	if body != "" {
		path = writeFile(t, body)
	}
	return Load(path, LoadOptions{Dev: dev, Env: env(vars)})
}

func mustLoad(t *testing.T, body string, vars map[string]string, dev bool) (*Config, []string) {
	t.Helper()
	c, w, err := load(t, body, vars, dev)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c, w
}

func TestDefaults(t *testing.T) {
	c, warnings := mustLoad(t, minimal, nil, false)
	if len(warnings) != 0 {
		t.Fatalf("warnings: %v", warnings)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"public port", c.Serve.Public.Port, 4433},
		{"admin port", c.Serve.Admin.Port, 4434},
		{"identity cache size", c.Serve.IdentityCacheSize, 1024},
		{"memory limit", c.Serve.MemoryLimit, ByteSize(24 << 20)},
		{"public base_url", c.Serve.Public.BaseURL, "http://127.0.0.1:4433/"},
		{"admin base_url", c.Serve.Admin.BaseURL, "http://127.0.0.1:4434/"},
		{"PublicURL", c.PublicURL().String(), "http://127.0.0.1:4433/"},
		{"AdminURL", c.AdminURL().String(), "http://127.0.0.1:4434/"},
		{"default schema id", c.Identity.DefaultSchemaID, "default"},
		{"algorithm", c.Hashers.Algorithm, "bcrypt"},
		{"bcrypt cost", c.Hashers.Bcrypt.Cost, 12},
		{"argon2 memory", c.Hashers.Argon2.Memory, ByteSize(128 << 20)},
		{"argon2 iterations", c.Hashers.Argon2.Iterations, 1},
		{"argon2 parallelism", c.Hashers.Argon2.Parallelism, runtime.NumCPU()},
		{"argon2 salt", c.Hashers.Argon2.SaltLength, 16},
		{"argon2 key", c.Hashers.Argon2.KeyLength, 32},
		{"session lifespan", c.Session.Lifespan, 24 * time.Hour},
		{"earliest extend", c.Session.EarliestPossibleExtend, 24 * time.Hour},
		{"cookie name", c.Session.Cookie.Name, "ory_kratos_session"},
		{"cookie persistent", c.Session.Cookie.Persistent, true},
		{"cookie same_site", c.Session.Cookie.SameSite, "Lax"},
		{"cookie path", c.Session.Cookie.Path, "/"},
		{"whoami aal", c.Session.WhoAmI.RequiredAAL, "highest_available"},
		{"return url", c.SelfService.DefaultBrowserReturnURL, "http://127.0.0.1:4433/ui/welcome"},
		{"password on", c.MethodEnabled("password"), true},
		{"profile on", c.MethodEnabled("profile"), true},
		{"totp off", c.MethodEnabled("totp"), false},
		{"webauthn off", c.MethodEnabled("webauthn"), false},
		{"code on", c.MethodEnabled("code"), true},
		{"link on", c.MethodEnabled("link"), true},
		{"code lifespan", c.SelfService.Methods.Code.Config.Lifespan, 15 * time.Minute},
		{"link lifespan", c.SelfService.Methods.Link.Config.Lifespan, 15 * time.Minute},
		{"passwordless off", c.SelfService.Methods.Code.PasswordlessEnabled, false},
		{"verification off", c.SelfService.Flows.Verification.Enabled, false},
		{"recovery off", c.SelfService.Flows.Recovery.Enabled, false},
		{"notify unknown off", c.SelfService.Flows.Recovery.NotifyUnknownRecipients, false},
		{"recovery use", c.SelfService.Flows.Recovery.Use, "code"},
		{"min length", c.SelfService.Methods.Password.Config.MinPasswordLength, 8},
		{"similarity", c.SelfService.Methods.Password.Config.IdentifierSimilarityCheckEnabled, true},
		{"login ui", c.FlowUIURL("login"), "http://127.0.0.1:4433/ui/login"},
		{"registration ui", c.FlowUIURL("registration"), "http://127.0.0.1:4433/ui/registration"},
		{"settings ui", c.FlowUIURL("settings"), "http://127.0.0.1:4433/ui/settings"},
		{"error ui", c.FlowUIURL("error"), "http://127.0.0.1:4433/ui/error"},
		{"verification ui", c.FlowUIURL("verification"), "http://127.0.0.1:4433/ui/verification"},
		{"recovery ui", c.FlowUIURL("recovery"), "http://127.0.0.1:4433/ui/recovery"},
		{"login lifespan", c.FlowLifespan("login"), time.Hour},
		{"settings lifespan", c.FlowLifespan("settings"), time.Hour},
		{"privileged", c.SelfService.Flows.Settings.PrivilegedSessionMaxAge, time.Hour},
		{"settings aal", c.SelfService.Flows.Settings.RequiredAAL, "highest_available"},
		{"registration on", c.SelfService.Flows.Registration.Enabled, true},
		{"registration session hook", c.HasHook("registration", "password", "session"), true},
		{"logout return", c.ReturnURL("logout", ""), "http://127.0.0.1:4433/ui/welcome"},
		{"log level", c.Log.Level, "info"},
		{"log format", c.Log.Format, "json"},
		{"needs cookie secret", c.NeedsCookieSecret(), true},
		{"dev", c.Dev, false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	o := c.HasherOptions()
	if o.Argon2.Memory != 128*1024 || o.BcryptCost != 12 || o.Algorithm != "bcrypt" {
		t.Errorf("HasherOptions = %+v", o)
	}
}

func TestDerivedFromPortAndBaseURL(t *testing.T) {
	c, _ := mustLoad(t, minimal+"serve:\n  public:\n    port: 8080\n  admin:\n    base_url: https://admin.example.com/kratos\n", nil, false)
	if c.Serve.Public.BaseURL != "http://127.0.0.1:8080/" || c.FlowUIURL("login") != "http://127.0.0.1:8080/ui/login" {
		t.Errorf("public base/ui not derived from port: %s %s", c.Serve.Public.BaseURL, c.FlowUIURL("login"))
	}
	if c.AdminURL().String() != "https://admin.example.com/kratos/" {
		t.Errorf("admin base_url not normalised: %s", c.AdminURL())
	}
}

func TestEnvOverrides(t *testing.T) {
	file := minimal + `
serve:
  public:
    port: 4000
    base_url: https://file.example.com/
log:
  level: warn
secrets:
  cookie: [file-secret-0123456789]
`
	c, _ := mustLoad(t, file, map[string]string{
		"DSN":                               "postgres://u@db/portico",
		"SERVE_PUBLIC_PORT":                 "5000",
		"SERVE_ADMIN_PORT":                  "5001",
		"SERVE_IDENTITY_CACHE_SIZE":         "0",
		"SERVE_MEMORY_LIMIT":                "64MB",
		"SERVE_PUBLIC_BASE_URL":             "https://env.example.com",
		"SELFSERVICE_FLOWS_SETTINGS_UI_URL": "https://ui.example.com/settings",
		"SECRETS_COOKIE":                    "aaaaaaaaaaaaaaaa1, bbbbbbbbbbbbbbbb2",
		"LOG_LEVEL":                         "debug",
		"SESSION_LIFESPAN":                  "2h",
		"SELFSERVICE_METHODS_TOTP_ENABLED":  "true",
		"HASHERS_ARGON2_MEMORY":             "64MB",
		"IDENTITY_SCHEMAS":                  `[{"id":"a","url":"file:///a.json"},{"id":"default","url":"file:///d.json"}]`,
		"SELFSERVICE_ALLOWED_RETURN_URLS":   `["https://x.example.com/"]`,
		"LOG_FORMAT":                        "", // empty means unset
	}, false)
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"dsn", c.DSN, "postgres://u@db/portico"},
		{"env beats file port", c.Serve.Public.Port, 5000},
		{"admin port", c.Serve.Admin.Port, 5001},
		{"identity cache off", c.Serve.IdentityCacheSize, 0},
		{"memory limit from env", c.Serve.MemoryLimit, ByteSize(64 << 20)},
		{"env beats file base_url", c.Serve.Public.BaseURL, "https://env.example.com/"},
		{"derived login ui follows env base", c.FlowUIURL("login"), "https://env.example.com/ui/login"},
		{"settings ui", c.FlowUIURL("settings"), "https://ui.example.com/settings"},
		{"cookie secrets", strings.Join(c.Secrets.Cookie, "|"), "aaaaaaaaaaaaaaaa1|bbbbbbbbbbbbbbbb2"},
		{"log level", c.Log.Level, "debug"},
		{"log format stays default", c.Log.Format, "json"},
		{"session lifespan", c.Session.Lifespan, 2 * time.Hour},
		{"totp", c.SelfService.Methods.TOTP.Enabled, true},
		{"argon2 memory", c.Hashers.Argon2.Memory, ByteSize(64 << 20)},
		{"schemas", len(c.Identity.Schemas), 2},
		{"default schema", c.DefaultSchema().URL, "file:///d.json"},
		{"allowed return urls", strings.Join(c.SelfService.AllowedReturnURLs, ","), "https://x.example.com/"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestEnvNameIsMechanical(t *testing.T) {
	want := map[string]string{
		"dsn": "DSN", "serve.public.base_url": "SERVE_PUBLIC_BASE_URL",
		"selfservice.flows.settings.ui_url": "SELFSERVICE_FLOWS_SETTINGS_UI_URL",
		"session.whoami.required_aal":       "SESSION_WHOAMI_REQUIRED_AAL",
	}
	for path, name := range want {
		if got := EnvName(path); got != name {
			t.Errorf("EnvName(%q) = %q, want %q", path, got, name)
		}
	}
	// Every leaf key can be set from the environment: set each one and check that the decoder
	// reaches it (a wrong value must fail naming that key).
	for _, l := range leaves(typeOfConfig, "") {
		if l.kind != leafScalar {
			continue
		}
		_, _, err := load(t, minimal, map[string]string{EnvName(l.path): "{not: valid}"}, false)
		if err != nil && !strings.Contains(err.Error(), l.path) {
			t.Errorf("%s: error does not name the key: %v", EnvName(l.path), err)
		}
	}
}

func TestUnknownKeysWarning(t *testing.T) {
	_, w := mustLoad(t, minimal+`
courier:
  smtp:
    connection_uri: smtp://x
  sms:
    enabled: true
oauth2_provider:
  url: http://hydra
tracing:
  provider: jaeger
selfservice:
  methods:
    saml:
      enabled: true
  flows:
    login:
      after:
        saml:
          hooks: []
`, nil, false)
	if len(w) != 1 {
		t.Fatalf("want one warning line, got %q", w)
	}
	want := "config: ignoring keys Portico does not support: courier.sms, oauth2_provider, selfservice.flows.login.after.saml, selfservice.methods.saml, tracing"
	if w[0] != want {
		t.Fatalf("warning\n got %q\nwant %q", w[0], want)
	}
}

func TestValidationErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		env  map[string]string
		want string
	}{
		{"port range", "serve:\n  public:\n    port: 70000\n", nil, "config: serve.public.port: must be 1-65535, got 70000"},
		{"port zero via env", "", map[string]string{"SERVE_ADMIN_PORT": "0"}, "config: serve.admin.port: must be 1-65535, got 0"},
		{"port type", "serve:\n  public:\n    port: high\n", nil, `config: serve.public.port: must be an integer, got "high"`},
		{"port type env", "", map[string]string{"SERVE_PUBLIC_PORT": "4x"}, `config: serve.public.port: must be an integer, got "4x"`},
		{"mapping for scalar", "serve:\n  public:\n    port: {a: 1}\n", nil, "config: serve.public.port: must be an integer, got a mapping"},
		{"scalar for mapping", "serve: yes\n", nil, `config: serve: must be a mapping, got a value "yes"`},
		{"bool", "session:\n  cookie:\n    persistent: maybe\n", nil, `config: session.cookie.persistent: must be true or false, got "maybe"`},
		{"list", "secrets:\n  cookie: abcdefghijklmnopq\n", nil, `config: secrets.cookie: must be a list, got a value "abcdefghijklmnopq"`},
		{"base url", "serve:\n  public:\n    base_url: not a url\n", nil, `config: serve.public.base_url: must be an absolute http(s) URL, got "not a url/"`},
		{"ui url", "selfservice:\n  flows:\n    login:\n      ui_url: /login\n", nil, `config: selfservice.flows.login.ui_url: must be an absolute http(s) URL, got "/login"`},
		{"algorithm", "hashers:\n  algorithm: md5\n", nil, `config: hashers.algorithm: must be one of argon2, bcrypt, got "md5"`},
		{"bcrypt cost", "hashers:\n  bcrypt:\n    cost: 32\n", nil, "config: hashers.bcrypt.cost: must be 4-31, got 32"},
		{"argon2 memory", "hashers:\n  argon2:\n    memory: lots\n", nil, `config: hashers.argon2.memory: must be a size like "128MB", got "lots"`},
		{"argon2 memory small", "hashers:\n  argon2:\n    memory: 1KB\n", nil, "config: hashers.argon2.memory: must be between 16KB and 4TB, got 1KB"},
		{"argon2 parallelism", "hashers:\n  argon2:\n    parallelism: 0\n", nil, "config: hashers.argon2.parallelism: must be 1-255, got 0"},
		{"duration", "session:\n  lifespan: forever\n", nil, `config: session.lifespan: must be a duration like "1h" or "15m", got "forever"`},
		{"duration env", "", map[string]string{"SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE": "15"}, `config: selfservice.flows.settings.privileged_session_max_age: must be a duration like "1h" or "15m", got "15"`},
		{"negative duration", "selfservice:\n  flows:\n    login:\n      lifespan: -1h\n", nil, "config: selfservice.flows.login.lifespan: must be a positive duration, got -1h0m0s"},
		{"short cookie secret", "secrets:\n  cookie: [long-enough-secret-1, short]\n", nil, "config: secrets.cookie[1]: must be at least 16 characters, got 5"},
		{"short kratos cookie secret", "", map[string]string{"SECRETS_KRATOS_COOKIE": "kratos-cookie-secret-1,kratos"}, "config: secrets.kratos_cookie[1]: must be at least 16 characters, got 6"},
		{"cipher length", "secrets:\n  cipher: [tooshort]\n", nil, "config: secrets.cipher[0]: must be exactly 32 characters, got 8"},
		{"aal", "session:\n  whoami:\n    required_aal: aal3\n", nil, `config: session.whoami.required_aal: must be one of highest_available, aal1, got "aal3"`},
		{"enrol without a second factor", "selfservice:\n  flows:\n    settings:\n      required_aal: aal2_enrol\n", nil, "config: selfservice.flows.settings.required_aal: aal2_enrol needs a second factor to enrol: enable totp, lookup_secret or webauthn (not passwordless)"},
		{"same site", "cookies:\n  same_site: sometimes\n", nil, `config: cookies.same_site: must be one of Lax, Strict, None, got "sometimes"`},
		{"log level", "log:\n  level: loud\n", nil, `config: log.level: must be one of debug, info, warn, error, got "loud"`},
		{"log format", "log:\n  format: xml\n", nil, `config: log.format: must be one of json, text, got "xml"`},
		{"hook", "selfservice:\n  flows:\n    registration:\n      after:\n        hooks: [{hook: teleport}]\n", nil, `config: selfservice.flows.registration.after.hooks[0].hook: must be one of session, revoke_active_sessions, require_verified_address, show_verification_ui, verification, web_hook, got "teleport"`},
		{"default schema id", "identity:\n  default_schema_id: other\n", nil, `config: identity.default_schema_id: no schema has id "other"`},
		{"schema url", "", map[string]string{"IDENTITY_SCHEMAS": `[{"id":"default","url":"ftp://x"}]`}, `config: identity.schemas[0].url: must be a file://, http(s):// or base64:// URL, got "ftp://x"`},
		{"schemas env not json", "", map[string]string{"IDENTITY_SCHEMAS": `[oops`}, "config: identity.schemas (from IDENTITY_SCHEMAS): must be a JSON list"},
		{"webauthn rp", "selfservice:\n  methods:\n    webauthn:\n      enabled: true\n", nil, "config: selfservice.methods.webauthn.config.rp.id: required when the method is enabled"},
		{"min password length", "selfservice:\n  methods:\n    password:\n      config:\n        min_password_length: 4\n", nil, "config: selfservice.methods.password.config.min_password_length: must be at least 6, got 4"},
		{"identity cache size", "", map[string]string{"SERVE_IDENTITY_CACHE_SIZE": "-1"}, "config: serve.identity_cache_size: must be 0 (off) or more, got -1"},
		{"dsn scheme", "", map[string]string{"DSN": "oracle://x"}, "config: dsn: must be memory or a sqlite://, postgres:// or mysql:// URL"},
		{"code lifespan", "selfservice:\n  methods:\n    code:\n      config:\n        lifespan: 0s\n", nil, "config: selfservice.methods.code.config.lifespan: must be a positive duration, got 0s"},
		{"recovery without its method", "selfservice:\n  methods:\n    link:\n      enabled: false\n  flows:\n    recovery:\n      enabled: true\n      use: link\n", nil, `config: selfservice.flows.recovery.use: "link" needs selfservice.methods.link.enabled`},
		{"passwordless without code", "selfservice:\n  methods:\n    code:\n      enabled: false\n      passwordless_enabled: true\n", nil, "config: selfservice.methods.code.enabled: must be true when passwordless_enabled or mfa_enabled is"},
		{"web hooks flow timeout", "", map[string]string{"SELFSERVICE_WEB_HOOKS_FLOW_TIMEOUT": "-1s"}, "config: selfservice.web_hooks: timeout and flow_timeout must not be negative and attempts must be 0 to 10"},
		{"link base url", "selfservice:\n  methods:\n    link:\n      config:\n        base_url: nope\n", nil, `config: selfservice.methods.link.config.base_url: must be an absolute http(s) URL, got "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := load(t, minimal+tc.yaml, tc.env, false)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Fatalf("error\n got %s\nwant %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatal("error is more than one line")
			}
		})
	}
}

func TestRequiredWithoutDev(t *testing.T) {
	_, _, err := load(t, "", nil, false)
	if err == nil || !strings.HasPrefix(err.Error(), "config: dsn: required") {
		t.Fatalf("got %v", err)
	}
	_, _, err = load(t, "dsn: memory\n", nil, false)
	if err == nil || !strings.HasPrefix(err.Error(), "config: identity.schemas: at least one") {
		t.Fatalf("got %v", err)
	}
}

func TestLowBcryptCost(t *testing.T) {
	c, w := mustLoad(t, minimal+"hashers:\n  bcrypt:\n    cost: 4\n", nil, false)
	if c.Hashers.Bcrypt.Cost != 12 || len(w) != 1 || !strings.Contains(w[0], "hashers.bcrypt.cost") {
		t.Fatalf("production: cost %d, warnings %q", c.Hashers.Bcrypt.Cost, w)
	}
	c, w = mustLoad(t, minimal+"hashers:\n  bcrypt:\n    cost: 4\n", nil, true)
	if c.Hashers.Bcrypt.Cost != 4 || len(w) != 0 {
		t.Fatalf("dev: cost %d, warnings %q", c.Hashers.Bcrypt.Cost, w)
	}
}

func TestDevDefaults(t *testing.T) {
	c, w := mustLoad(t, "", nil, true)
	if len(w) != 0 {
		t.Fatalf("warnings: %v", w)
	}
	if c.DSN != "sqlite://portico.db?_fk=true" || !c.Dev || c.Log.Format != "text" {
		t.Fatalf("dsn %q dev %v format %q", c.DSN, c.Dev, c.Log.Format)
	}
	s := c.DefaultSchema()
	if s.ID != "default" || !strings.HasPrefix(s.URL, "base64://") {
		t.Fatalf("schema %+v", s)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s.URL, "base64://"))
	if err != nil || string(raw) != string(DefaultSchemaJSON()) || !strings.Contains(string(raw), `"identifier": true`) {
		t.Fatalf("schema url does not carry the built-in schema: %v", err)
	}
	if !c.NeedsCookieSecret() {
		t.Fatal("dev without secrets must ask for a cookie secret")
	}
	if !c.MethodEnabled("totp") || !c.MethodEnabled("lookup_secret") || c.MethodEnabled("webauthn") {
		t.Fatal("dev must offer TOTP and recovery codes (and not WebAuthn, which needs a relying party)")
	}
	if c, _ := mustLoad(t, "selfservice:\n  methods:\n    totp:\n      enabled: false\n", nil, true); c.MethodEnabled("totp") {
		t.Fatal("a config turning TOTP off in dev was ignored")
	}
	// Configured values still win in dev.
	c, _ = mustLoad(t, minimal+"log:\n  format: json\n", nil, true)
	if c.DSN != "memory" || c.DefaultSchema().URL != "file:///schema.json" || c.Log.Format != "json" {
		t.Fatalf("dev overrode configured values: %q %q %q", c.DSN, c.DefaultSchema().URL, c.Log.Format)
	}
}

func TestKratosQuickstartSample(t *testing.T) {
	c, w, err := Load("testdata/kratos.yml", LoadOptions{Dev: true, Env: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 1 || w[0] != "config: ignoring keys Portico does not support: ciphers, feature_flags" {
		t.Fatalf("warnings %q", w)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"dsn", c.DSN, "sqlite:///var/lib/sqlite/db.sqlite?_fk=true&mode=rwc"},
		{"admin", c.AdminURL().Host, "kratos:4434"},
		{"cors", c.Serve.Public.CORS.Enabled, true},
		{"return", c.SelfService.DefaultBrowserReturnURL, "http://127.0.0.1:4455/"},
		{"allowed", len(c.SelfService.AllowedReturnURLs), 3},
		{"totp", c.SelfService.Methods.TOTP.Config.Issuer, "Kratos"},
		{"lookup", c.MethodEnabled("lookup_secret"), true},
		{"settings ui", c.FlowUIURL("settings"), "http://127.0.0.1:4455/settings"},
		{"login lifespan", c.FlowLifespan("login"), 10 * time.Minute},
		{"recovery", c.SelfService.Flows.Recovery.Enabled, true},
		{"code", c.MethodEnabled("code"), true},
		{"link", c.MethodEnabled("link"), true},
		{"verification use", c.SelfService.Flows.Verification.Use, "code"},
		{"logout return", c.ReturnURL("logout", ""), "http://127.0.0.1:4455/login"},
		{"login return falls back", c.ReturnURL("login", "password"), "http://127.0.0.1:4455/"},
		{"hooks", len(c.AfterHooks("registration", "password")), 2},
		{"verification hook", c.HasHook("registration", "password", "show_verification_ui"), true},
		{"bcrypt 8 in dev", c.Hashers.Bcrypt.Cost, 8},
		{"log", c.Log.Level + "/" + c.Log.Format, "debug/text"},
		{"cookie secret", c.NeedsCookieSecret(), false},
		{"schema", c.DefaultSchema().URL, "file:///etc/config/kratos/identity.schema.json"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"128MB": 128 << 20, "64KiB": 64 << 10, "1GB": 1 << 30, "4096": 4096, "1.5MB": 3 << 19, "16 kb": 16 << 10} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "12XB", "-1MB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", in)
		}
	}
}

func TestFileErrors(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing.yml"), LoadOptions{Env: env(nil)}); err == nil || !strings.Contains(err.Error(), "config: read") {
		t.Fatalf("missing file: %v", err)
	}
	if _, _, err := load(t, "serve: [\n", nil, false); err == nil || !strings.Contains(err.Error(), "config: parse") {
		t.Fatalf("bad yaml: %v", err)
	}
	if _, _, err := load(t, "- a\n- b\n", nil, false); err == nil || !strings.Contains(err.Error(), "top level must be a mapping") {
		t.Fatalf("list at top: %v", err)
	}
}

var typeOfConfig = reflect.TypeFor[Config]()

// TestMemoryLimitOff: serve.memory_limit 0 in the file (or SERVE_MEMORY_LIMIT=0) turns the
// default soft memory limit off, and a bad size is refused.
func TestMemoryLimitOff(t *testing.T) {
	c, _ := mustLoad(t, minimal+"serve:\n  memory_limit: 0\n", nil, false)
	if c.Serve.MemoryLimit != 0 {
		t.Errorf("file 0: memory_limit = %v, want 0", c.Serve.MemoryLimit)
	}
	c, _ = mustLoad(t, minimal, map[string]string{"SERVE_MEMORY_LIMIT": "0"}, false)
	if c.Serve.MemoryLimit != 0 {
		t.Errorf("env 0: memory_limit = %v, want 0", c.Serve.MemoryLimit)
	}
	c, _ = mustLoad(t, minimal+"serve:\n  memory_limit: 1GB\n", nil, false)
	if c.Serve.MemoryLimit != 1<<30 {
		t.Errorf("file 1GB: memory_limit = %v", c.Serve.MemoryLimit)
	}
	if _, _, err := load(t, minimal, map[string]string{"SERVE_MEMORY_LIMIT": "lots"}, false); err == nil || !strings.Contains(err.Error(), "serve.memory_limit") {
		t.Errorf("bad size: err = %v", err)
	}
}
