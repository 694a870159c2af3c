package config

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portico-auth/portico/internal/clientaddr"
)

// AAL values of required_aal.
const (
	AALHighestAvailable = "highest_available"
	AAL1                = "aal1"
	// AAL2Enrol (selfservice.flows.settings.required_aal only, Portico's own) is
	// highest_available plus forced enrolment: an identity without a second factor is held to
	// a settings flow that only offers second-factor enrolment until it has one.
	AAL2Enrol = "aal2_enrol"
)

// bcryptProductionMinCost is the lowest bcrypt cost outside dev mode; Kratos raises lower costs
// to it too.
const bcryptProductionMinCost = 12

var knownHooks = []string{"session", "revoke_active_sessions", "require_verified_address", "show_verification_ui", "verification", "web_hook"}

// invalid is a validation error: one line naming the key.
func invalid(path, format string, args ...any) error {
	return fmt.Errorf("config: %s: %s", path, fmt.Sprintf(format, args...))
}

func oneOf(path, got string, allowed ...string) error {
	if slices.Contains(allowed, got) {
		return nil
	}
	return invalid(path, "must be one of %s, got %q", strings.Join(allowed, ", "), got)
}

func absURL(path, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(path, "must be an absolute http(s) URL, got %q", raw)
	}
	return nil
}

// documentURL checks the address of a document Portico loads (an identity schema, a Jsonnet
// mapper): file://, http(s):// or base64://.
func documentURL(path, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !slices.Contains([]string{"file", "http", "https", "base64"}, u.Scheme) {
		return invalid(path, "must be a file://, http(s):// or base64:// URL, got %q", raw)
	}
	return nil
}

// validate checks every key and normalises the enums that accept several spellings. It returns
// warnings for values that work but are adjusted.
func (c *Config) validate() ([]string, error) {
	var warnings []string
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	if c.DSN == "" {
		check(invalid("dsn", "required: set it in the config file or the DSN environment variable, or run in dev mode"))
	} else if c.DSN != "memory" {
		scheme, _, ok := strings.Cut(c.DSN, "://")
		if !ok || !slices.Contains([]string{"sqlite", "sqlite3", "postgres", "postgresql", "mysql", "cockroach"}, scheme) {
			check(invalid("dsn", "must be memory or a sqlite://, postgres:// or mysql:// URL"))
		}
	}

	for _, l := range []struct {
		name string
		Listener
	}{{"serve.public", c.Serve.Public}, {"serve.admin", c.Serve.Admin}} {
		name := l.name
		if l.Port < 1 || l.Port > 65535 {
			check(invalid(name+".port", "must be 1-65535, got %d", l.Port))
		}
		check(absURL(name+".base_url", l.BaseURL))
		for _, p := range l.TrustedProxies {
			if _, err := clientaddr.ParsePrefix(p); err != nil {
				check(invalid(name+".trusted_proxies", "%v", err))
			}
		}
	}

	for _, s := range []struct {
		path    string
		list    []string
		min     int
		exactly bool
	}{
		{"secrets.default", c.Secrets.Default, 16, false},
		{"secrets.cookie", c.Secrets.Cookie, 16, false},
		{"secrets.cipher", c.Secrets.Cipher, 32, true},
		{"secrets.kratos_cookie", c.Secrets.KratosCookie, 16, false},
	} {
		for i, v := range s.list {
			// Never echo a secret: only its length.
			switch {
			case s.exactly && len(v) != s.min:
				check(invalid(fmt.Sprintf("%s[%d]", s.path, i), "must be exactly %d characters, got %d", s.min, len(v)))
			case len(v) < s.min:
				check(invalid(fmt.Sprintf("%s[%d]", s.path, i), "must be at least %d characters, got %d", s.min, len(v)))
			}
		}
	}

	if len(c.Identity.Schemas) == 0 {
		check(invalid("identity.schemas", "at least one identity schema is required (or run in dev mode)"))
	}
	seen := map[string]bool{}
	for i, s := range c.Identity.Schemas {
		p := fmt.Sprintf("identity.schemas[%d]", i)
		if s.ID == "" {
			check(invalid(p+".id", "required"))
		} else if seen[s.ID] {
			check(invalid(p+".id", "duplicate schema id %q", s.ID))
		}
		seen[s.ID] = true
		if err := documentURL(p+".url", s.URL); err != nil {
			check(err)
		}
	}
	if len(c.Identity.Schemas) > 0 && !seen[c.Identity.DefaultSchemaID] {
		check(invalid("identity.default_schema_id", "no schema has id %q", c.Identity.DefaultSchemaID))
	}

	h := &c.Hashers
	check(oneOf("hashers.algorithm", h.Algorithm, "argon2", "bcrypt"))
	if h.Bcrypt.Cost < 4 || h.Bcrypt.Cost > 31 {
		check(invalid("hashers.bcrypt.cost", "must be 4-31, got %d", h.Bcrypt.Cost))
	} else if h.Bcrypt.Cost < bcryptProductionMinCost && !c.Dev {
		warnings = append(warnings, fmt.Sprintf("config: hashers.bcrypt.cost: %d is below %d, using %d (lower costs need dev mode)", h.Bcrypt.Cost, bcryptProductionMinCost, bcryptProductionMinCost))
		h.Bcrypt.Cost = bcryptProductionMinCost
	}
	a := h.Argon2
	if a.Memory < 16<<10 || a.Memory.KiB() > 1<<32-1 {
		check(invalid("hashers.argon2.memory", "must be between 16KB and 4TB, got %s", a.Memory))
	}
	if a.Iterations < 1 {
		check(invalid("hashers.argon2.iterations", "must be at least 1, got %d", a.Iterations))
	}
	if a.Parallelism < 1 || a.Parallelism > 255 {
		check(invalid("hashers.argon2.parallelism", "must be 1-255, got %d", a.Parallelism))
	}
	if a.SaltLength < 16 {
		check(invalid("hashers.argon2.salt_length", "must be at least 16, got %d", a.SaltLength))
	}
	if a.KeyLength < 16 {
		check(invalid("hashers.argon2.key_length", "must be at least 16, got %d", a.KeyLength))
	}

	positive := func(path string, d time.Duration) {
		if d <= 0 {
			check(invalid(path, "must be a positive duration, got %s", d))
		}
	}
	f := &c.SelfService.Flows
	positive("session.lifespan", c.Session.Lifespan)
	if c.Serve.IdentityCacheSize < 0 {
		check(invalid("serve.identity_cache_size", "must be 0 (off) or more, got %d", c.Serve.IdentityCacheSize))
	}
	if c.Session.MaxPerIdentity < 0 {
		check(invalid("session.max_per_identity", "must be 0 (no cap) or more, got %d", c.Session.MaxPerIdentity))
	}
	positive("session.earliest_possible_extend", c.Session.EarliestPossibleExtend)
	positive("selfservice.flows.settings.lifespan", f.Settings.Lifespan)
	positive("selfservice.flows.settings.privileged_session_max_age", f.Settings.PrivilegedSessionMaxAge)
	positive("selfservice.flows.login.lifespan", f.Login.Lifespan)
	positive("selfservice.flows.registration.lifespan", f.Registration.Lifespan)
	positive("selfservice.flows.verification.lifespan", f.Verification.Lifespan)
	positive("selfservice.flows.recovery.lifespan", f.Recovery.Lifespan)
	positive("audit.retention", c.Audit.Retention)

	check(oneOf("session.whoami.required_aal", c.Session.WhoAmI.RequiredAAL, AALHighestAvailable, AAL1))
	check(oneOf("selfservice.flows.settings.required_aal", f.Settings.RequiredAAL, AALHighestAvailable, AAL1, AAL2Enrol))
	if m := c.SelfService.Methods; f.Settings.RequiredAAL == AAL2Enrol && !m.TOTP.Enabled && !m.LookupSecret.Enabled &&
		(!m.WebAuthn.Enabled || m.WebAuthn.Config.Passwordless) {
		// Enrolment nobody can perform would hold every identity back for good.
		check(invalid("selfservice.flows.settings.required_aal", "aal2_enrol needs a second factor to enrol: enable totp, lookup_secret or webauthn (not passwordless)"))
	}
	c.Session.Cookie.SameSite = canonicalSameSite(c.Session.Cookie.SameSite)
	c.Cookies.SameSite = canonicalSameSite(c.Cookies.SameSite)
	check(oneOf("cookies.same_site", c.Cookies.SameSite, "Lax", "Strict", "None"))
	check(oneOf("session.cookie.same_site", c.Session.Cookie.SameSite, "Lax", "Strict", "None"))
	if c.Session.Cookie.Name == "" {
		check(invalid("session.cookie.name", "must not be empty"))
	}
	c.Log.Level = strings.ToLower(c.Log.Level)
	check(oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error"))
	check(oneOf("log.format", c.Log.Format, "json", "text"))
	check(oneOf("selfservice.flows.verification.use", f.Verification.Use, "code", "link"))
	check(oneOf("selfservice.flows.recovery.use", f.Recovery.Use, "code", "link"))
	m := &c.SelfService.Methods
	positive("selfservice.methods.code.config.lifespan", m.Code.Config.Lifespan)
	positive("selfservice.methods.link.config.lifespan", m.Link.Config.Lifespan)
	if m.Link.Config.BaseURL != "" {
		check(absURL("selfservice.methods.link.config.base_url", m.Link.Config.BaseURL))
	}
	for _, fl := range []struct {
		name string
		ToggleFlow
	}{{"verification", f.Verification}, {"recovery", f.Recovery}} {
		if fl.Enabled && (fl.Use == "code" || fl.Use == "link") && !c.MethodEnabled(fl.Use) {
			check(invalid("selfservice.flows."+fl.name+".use", "%q needs selfservice.methods.%s.enabled", fl.Use, fl.Use))
		}
	}
	if (m.Code.PasswordlessEnabled || m.Code.MFAEnabled) && !m.Code.Enabled {
		check(invalid("selfservice.methods.code.enabled", "must be true when passwordless_enabled or mfa_enabled is"))
	}

	check(absURL("selfservice.default_browser_return_url", c.SelfService.DefaultBrowserReturnURL))
	for i, raw := range c.SelfService.AllowedReturnURLs {
		// Native apps return to their own schemes (exp://, myapp://), so any absolute URL goes.
		if u, err := url.Parse(raw); err != nil || u.Scheme == "" {
			check(invalid(fmt.Sprintf("selfservice.allowed_return_urls[%d]", i), "must be an absolute URL, got %q", raw))
		}
	}
	for _, name := range FlowNames {
		if u := c.FlowUIURL(name); u != "" {
			check(absURL("selfservice.flows."+name+".ui_url", u))
		}
	}
	afters := c.afters()
	for _, path := range slices.Sorted(maps.Keys(afters)) {
		after := afters[path]
		if after.DefaultBrowserReturnURL != "" {
			check(absURL(path+".default_browser_return_url", after.DefaultBrowserReturnURL))
		}
		for i, hk := range after.Hooks {
			check(oneOf(fmt.Sprintf("%s.hooks[%d].hook", path, i), hk.Hook, knownHooks...))
		}
	}
	for _, name := range FlowNames {
		for i, hk := range c.BeforeHooks(name) {
			check(oneOf(fmt.Sprintf("selfservice.flows.%s.before.hooks[%d].hook", name, i), hk.Hook, "web_hook"))
		}
	}
	if wh := c.SelfService.WebHooks; wh.Timeout < 0 || wh.FlowTimeout < 0 || wh.Attempts < 0 || wh.Attempts > 10 {
		check(invalid("selfservice.web_hooks", "timeout and flow_timeout must not be negative and attempts must be 0 to 10"))
	}

	if pw := c.SelfService.Methods.Password.Config; pw.MinPasswordLength < 6 {
		check(invalid("selfservice.methods.password.config.min_password_length", "must be at least 6, got %d", pw.MinPasswordLength))
	}
	for _, m := range []struct {
		path    string
		enabled bool
		rp      RP
	}{
		{"selfservice.methods.webauthn", c.SelfService.Methods.WebAuthn.Enabled, c.SelfService.Methods.WebAuthn.Config.RP},
		{"selfservice.methods.passkey", c.SelfService.Methods.Passkey.Enabled, c.SelfService.Methods.Passkey.Config.RP},
	} {
		if !m.enabled {
			continue
		}
		if m.rp.ID == "" {
			check(invalid(m.path+".config.rp.id", "required when the method is enabled"))
		}
		if m.rp.DisplayName == "" {
			check(invalid(m.path+".config.rp.display_name", "required when the method is enabled"))
		}
		if len(m.rp.Origins) == 0 {
			check(invalid(m.path+".config.rp.origins", "at least one origin is required when the method is enabled"))
		}
		for i, o := range m.rp.Origins {
			check(absURL(fmt.Sprintf("%s.config.rp.origins[%d]", m.path, i), o))
		}
	}

	c.validateCourier(check)
	check(c.validateOIDC())

	if len(errs) > 0 {
		// Report the first problem only: one line, naming the key.
		return nil, errs[0]
	}
	return warnings, nil
}

func canonicalSameSite(s string) string {
	switch strings.ToLower(s) {
	case "lax":
		return "Lax"
	case "strict":
		return "Strict"
	case "none":
		return "None"
	}
	return s
}
