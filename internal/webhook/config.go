package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Config is one web_hook's config block as Kratos spells it
// (selfservice.flows.<flow>.{before,after}[.<method>].hooks[].config).
type Config struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	// Body names the Jsonnet template of the request body: file://, base64:// or http(s)://
	// (a bare path is read as a file, as Kratos still does). Empty sends no body.
	Body string `json:"body"`
	Auth *Auth  `json:"auth"`
	// CanInterrupt (Kratos's older key) and Response.Parse make the flow wait for the reply
	// and let the app refuse the flow; Parse also lets it change the identity.
	CanInterrupt bool     `json:"can_interrupt"`
	Response     Response `json:"response"`
	// EmitAnalyticsEvent and ID are accepted and ignored (Ory Network's event stream).
	EmitAnalyticsEvent *bool  `json:"emit_analytics_event"`
	ID                 string `json:"id"`
}

// Response says what is done with the app's reply.
type Response struct {
	// Ignore sends the call in the background once the flow's change is stored.
	Ignore bool `json:"ignore"`
	Parse  bool `json:"parse"`
}

// Auth is how the hook authenticates to the app: api_key (a header or a cookie) or
// basic_auth.
type Auth struct {
	Type   string     `json:"type"`
	Config AuthConfig `json:"config"`
}

// AuthConfig holds the fields of both auth types.
type AuthConfig struct {
	// api_key
	Name  string `json:"name"`
	Value string `json:"value"`
	In    string `json:"in"` // header | cookie
	// basic_auth. Kratos's configuration schema requires both keys and allows an empty
	// password (a user-only scheme), so Portico does too; a missing password key is refused,
	// since it is more often a forgotten secret (an unset variable) than a choice.
	User     string  `json:"user"`
	Password *string `json:"password"`
}

// Interrupts reports whether the flow waits for this hook before it stores the identity,
// and lets the hook refuse or change it.
func (c *Config) Interrupts() bool { return c.CanInterrupt || c.Response.Parse }

// ParseConfig reads a hook's config as the YAML decoder left it, refusing unknown keys as
// Kratos's configuration schema does. path names the block in messages.
func ParseConfig(path string, raw any) (*Config, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s.%w", path, err)
	}
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	c.Method = strings.ToUpper(c.Method)
	return &c, nil
}

func (c *Config) check() error {
	u, err := url.Parse(c.URL)
	if c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url: must be an http(s) URL, got %q", c.URL)
	}
	if c.Method == "" {
		return errors.New("method: required")
	}
	if c.Response.Ignore && c.Interrupts() {
		return errors.New("response.ignore: cannot be combined with response.parse or can_interrupt")
	}
	for name := range c.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n") {
			return fmt.Errorf("headers: %q is not a header name", name)
		}
	}
	if a := c.Auth; a != nil {
		switch a.Type {
		case "api_key":
			if a.Config.Name == "" || a.Config.Value == "" || (a.Config.In != "header" && a.Config.In != "cookie") {
				return errors.New("auth.config: api_key needs name, value and in (header or cookie)")
			}
		case "basic_auth":
			if a.Config.User == "" || a.Config.Password == nil {
				return errors.New(`auth.config: basic_auth needs user and password (password: "" for none)`)
			}
		default:
			return fmt.Errorf("auth.type: must be api_key or basic_auth, got %q", a.Type)
		}
	}
	return nil
}

// apply sets the configured headers and credentials on req.
func (c *Config) apply(req *http.Request) {
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	a := c.Auth
	switch {
	case a == nil:
	case a.Type == "basic_auth":
		req.SetBasicAuth(a.Config.User, *a.Config.Password)
	case a.Config.In == "cookie":
		req.AddCookie(&http.Cookie{Name: a.Config.Name, Value: a.Config.Value})
	default:
		req.Header.Set(a.Config.Name, a.Config.Value)
	}
}
