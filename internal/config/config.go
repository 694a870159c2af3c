package config

import (
	"net/url"
	"time"

	"github.com/portico-auth/portico/internal/hash"
)

// Flow names accepted by FlowUIURL, FlowLifespan, ReturnURL and AfterHooks.
const (
	FlowLogin        = "login"
	FlowRegistration = "registration"
	FlowSettings     = "settings"
	FlowError        = "error"
	FlowLogout       = "logout"
	FlowVerification = "verification"
	FlowRecovery     = "recovery"
)

// FlowNames lists the flows in selfservice.flows.
var FlowNames = []string{FlowLogin, FlowRegistration, FlowSettings, FlowError, FlowLogout, FlowVerification, FlowRecovery}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return &url.URL{}
	}
	return u
}

// PublicURL returns a fresh copy of serve.public.base_url; its path ends with "/".
func (c *Config) PublicURL() *url.URL { return mustParse(c.Serve.Public.BaseURL) }

// AdminURL returns a fresh copy of serve.admin.base_url; its path ends with "/".
func (c *Config) AdminURL() *url.URL { return mustParse(c.Serve.Admin.BaseURL) }

// FlowUIURL returns selfservice.flows.<name>.ui_url, or "" for a flow without a UI (logout).
func (c *Config) FlowUIURL(name string) string {
	f := c.SelfService.Flows
	switch name {
	case FlowLogin:
		return f.Login.UIURL
	case FlowRegistration:
		return f.Registration.UIURL
	case FlowSettings:
		return f.Settings.UIURL
	case FlowError:
		return f.Error.UIURL
	case FlowVerification:
		return f.Verification.UIURL
	case FlowRecovery:
		return f.Recovery.UIURL
	}
	return ""
}

// FlowLifespan returns selfservice.flows.<name>.lifespan, or 0 for a flow without one.
func (c *Config) FlowLifespan(name string) time.Duration {
	f := c.SelfService.Flows
	switch name {
	case FlowLogin:
		return f.Login.Lifespan
	case FlowRegistration:
		return f.Registration.Lifespan
	case FlowSettings:
		return f.Settings.Lifespan
	case FlowVerification:
		return f.Verification.Lifespan
	case FlowRecovery:
		return f.Recovery.Lifespan
	}
	return 0
}

// afters returns every after-section by key path.
func (c *Config) afters() map[string]MethodAfter {
	out := map[string]MethodAfter{}
	f := c.SelfService.Flows
	for name, a := range map[string]After{FlowLogin: f.Login.After, FlowRegistration: f.Registration.After, FlowSettings: f.Settings.After} {
		p := "selfservice.flows." + name + ".after"
		out[p] = MethodAfter{DefaultBrowserReturnURL: a.DefaultBrowserReturnURL, Hooks: a.Hooks}
		for m, ma := range a.methods() {
			out[p+"."+m] = ma
		}
	}
	out["selfservice.flows.logout.after"] = f.Logout.After
	out["selfservice.flows.verification.after"] = f.Verification.After
	out["selfservice.flows.recovery.after"] = f.Recovery.After
	return out
}

func (a After) methods() map[string]MethodAfter {
	ms := []MethodAfter{a.Password, a.Profile, a.TOTP, a.LookupSecret, a.WebAuthn, a.Passkey, a.OIDC}
	out := make(map[string]MethodAfter, len(ms))
	for i, name := range AfterMethods() {
		out[name] = ms[i]
	}
	return out
}

func (c *Config) after(flow string) (After, bool) {
	f := c.SelfService.Flows
	switch flow {
	case FlowLogin:
		return f.Login.After, true
	case FlowRegistration:
		return f.Registration.After, true
	case FlowSettings:
		return f.Settings.After, true
	case FlowLogout:
		return After{DefaultBrowserReturnURL: f.Logout.After.DefaultBrowserReturnURL, Hooks: f.Logout.After.Hooks}, true
	case FlowVerification:
		return After{DefaultBrowserReturnURL: f.Verification.After.DefaultBrowserReturnURL, Hooks: f.Verification.After.Hooks}, true
	case FlowRecovery:
		return After{DefaultBrowserReturnURL: f.Recovery.After.DefaultBrowserReturnURL, Hooks: f.Recovery.After.Hooks}, true
	}
	return After{}, false
}

// ReturnURL is where a browser goes after flow succeeds with method ("" for any): the method's
// after.default_browser_return_url, else the flow's, else selfservice.default_browser_return_url.
func (c *Config) ReturnURL(flow, method string) string {
	if a, ok := c.after(flow); ok {
		if m, ok := a.methods()[method]; ok && m.DefaultBrowserReturnURL != "" {
			return m.DefaultBrowserReturnURL
		}
		if a.DefaultBrowserReturnURL != "" {
			return a.DefaultBrowserReturnURL
		}
	}
	return c.SelfService.DefaultBrowserReturnURL
}

// AfterHooks returns the hooks to run after flow succeeds with method: the method's own hooks,
// then the flow's hooks for every method.
func (c *Config) AfterHooks(flow, method string) []Hook {
	a, ok := c.after(flow)
	if !ok {
		return nil
	}
	var out []Hook
	if m, ok := a.methods()[method]; ok {
		out = append(out, m.Hooks...)
	}
	return append(out, a.Hooks...)
}

// BeforeHooks returns selfservice.flows.<flow>.before.hooks.
func (c *Config) BeforeHooks(flow string) []Hook {
	f := c.SelfService.Flows
	switch flow {
	case FlowLogin:
		return f.Login.Before.Hooks
	case FlowRegistration:
		return f.Registration.Before.Hooks
	case FlowSettings:
		return f.Settings.Before.Hooks
	case FlowVerification:
		return f.Verification.Before.Hooks
	case FlowRecovery:
		return f.Recovery.Before.Hooks
	}
	return nil
}

// AfterMethods are the method keys of an after-section (selfservice.flows.<flow>.after.<method>).
func AfterMethods() []string {
	return []string{"password", "profile", "totp", "lookup_secret", "webauthn", "passkey", "oidc"}
}

// HasHook reports whether AfterHooks(flow, method) contains the named hook.
func (c *Config) HasHook(flow, method, hook string) bool {
	for _, h := range c.AfterHooks(flow, method) {
		if h.Hook == hook {
			return true
		}
	}
	return false
}

// CookieSecrets returns secrets.cookie, falling back to secrets.default as Kratos does.
func (c *Config) CookieSecrets() []string {
	if len(c.Secrets.Cookie) > 0 {
		return c.Secrets.Cookie
	}
	return c.Secrets.Default
}

// SealSecrets are the keys that seal secrets at rest (pending settings, lookup codes, oidc
// tokens, courier messages): secrets.cipher, then the cookie secrets; the first seals, all open.
func (c *Config) SealSecrets() []string {
	return append(append([]string{}, c.Secrets.Cipher...), c.CookieSecrets()...)
}

// NeedsCookieSecret reports whether no cookie secret is configured; the caller then generates
// one and persists it (it needs the database, which config does not know).
func (c *Config) NeedsCookieSecret() bool { return len(c.CookieSecrets()) == 0 }

// DefaultSchema returns the schema named by identity.default_schema_id.
func (c *Config) DefaultSchema() Schema {
	for _, s := range c.Identity.Schemas {
		if s.ID == c.Identity.DefaultSchemaID {
			return s
		}
	}
	return Schema{}
}

// MethodEnabled reports whether selfservice.methods.<name>.enabled is on.
func (c *Config) MethodEnabled(name string) bool {
	m := c.SelfService.Methods
	switch name {
	case "password":
		return m.Password.Enabled
	case "profile":
		return m.Profile.Enabled
	case "totp":
		return m.TOTP.Enabled
	case "lookup_secret":
		return m.LookupSecret.Enabled
	case "webauthn":
		return m.WebAuthn.Enabled
	case "passkey":
		return m.Passkey.Enabled
	case "code":
		return m.Code.Enabled
	case "link":
		return m.Link.Enabled
	case "delete_account":
		return m.DeleteAccount.Enabled
	}
	return false
}

// HasherOptions converts hashers.* into the options of package hash.
func (c *Config) HasherOptions() hash.Options {
	a := c.Hashers.Argon2
	return hash.Options{
		Algorithm:  c.Hashers.Algorithm,
		BcryptCost: c.Hashers.Bcrypt.Cost,
		Argon2: hash.Argon2Options{
			Memory:      uint32(a.Memory.KiB()),
			Iterations:  uint32(a.Iterations),
			Parallelism: uint8(a.Parallelism),
			SaltLength:  uint32(a.SaltLength),
			KeyLength:   uint32(a.KeyLength),
		},
	}
}
