package config

import (
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Courier is the courier section: how messages are sent (Kratos's keys) and Portico's notices.
type Courier struct {
	SMTP                 SMTP             `yaml:"smtp"`
	Templates            CourierTemplates `yaml:"templates"`
	TemplateOverridePath string           `yaml:"template_override_path"`
	// MessageRetries is how many times a failed message is retried before it is abandoned.
	MessageRetries int `yaml:"message_retries"`
	// DeliveryStrategy sends email over "smtp" (default) or "http" (courier.http).
	DeliveryStrategy string      `yaml:"delivery_strategy"`
	HTTP             CourierHTTP `yaml:"http"`
	// Channels are further channels; Kratos's SMS channel is {id: sms, type: http}.
	Channels []CourierChannel `yaml:"channels"`
	Worker   CourierWorker    `yaml:"worker"`
	// Notices is Portico's: messages the courier sends on its own initiative.
	Notices CourierNotices `yaml:"notices"`
}

// SMTP is courier.smtp.
type SMTP struct {
	ConnectionURI string            `yaml:"connection_uri"`
	FromAddress   string            `yaml:"from_address"`
	FromName      string            `yaml:"from_name"`
	Headers       map[string]string `yaml:"headers"`
	LocalName     string            `yaml:"local_name"`
}

// CourierHTTP is courier.http: email through an HTTP API (delivery_strategy: http).
type CourierHTTP struct {
	RequestConfig HTTPRequestConfig `yaml:"request_config"`
}

// CourierChannel is one entry of courier.channels.
type CourierChannel struct {
	ID            string            `yaml:"id"`
	Type          string            `yaml:"type"` // http
	RequestConfig HTTPRequestConfig `yaml:"request_config"`
}

// HTTPRequestConfig is an HTTP channel's request: Body is a file://, base64:// or http(s)://
// URL of a Jsonnet template.
type HTTPRequestConfig struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"`
	Body    string            `yaml:"body"`
	Headers map[string]string `yaml:"headers"`
	Auth    HTTPAuth          `yaml:"auth"`
}

// HTTPAuth is a request's authentication: api_key (config name, value, in: header|cookie) or
// basic_auth (config user, password).
type HTTPAuth struct {
	Type   string         `yaml:"type"`
	Config HTTPAuthConfig `yaml:"config"`
}

// HTTPAuthConfig holds the fields of both authentication types.
type HTTPAuthConfig struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	Name     string `yaml:"name"`
	Value    string `yaml:"value"`
	In       string `yaml:"in"`
}

// CourierWorker is courier.worker.
type CourierWorker struct {
	PullCount int           `yaml:"pull_count"`
	PullWait  time.Duration `yaml:"pull_wait"`
}

// CourierNotices is courier.notices (Portico's).
type CourierNotices struct {
	CredentialChanged Toggle `yaml:"credential_changed"`
}

// Toggle is a feature that is on or off.
type Toggle struct {
	Enabled bool `yaml:"enabled"`
}

// CourierTemplates is courier.templates: per template group, per variant, the parts to override.
type CourierTemplates struct {
	Recovery          TemplatePair `yaml:"recovery"`
	RecoveryCode      TemplatePair `yaml:"recovery_code"`
	Verification      TemplatePair `yaml:"verification"`
	VerificationCode  TemplatePair `yaml:"verification_code"`
	LoginCode         TemplatePair `yaml:"login_code"`
	RegistrationCode  TemplatePair `yaml:"registration_code"`
	CredentialChanged TemplatePair `yaml:"credential_changed"`
	AccountDeleted    TemplatePair `yaml:"account_deleted"`
}

// TemplatePair is a template group's valid and invalid variants.
type TemplatePair struct {
	Valid   MessageTemplate `yaml:"valid"`
	Invalid MessageTemplate `yaml:"invalid"`
}

// MessageTemplate overrides the parts of one template; each is a file://, base64:// or
// http(s):// URL.
type MessageTemplate struct {
	Email EmailTemplate `yaml:"email"`
	SMS   SMSTemplate   `yaml:"sms"`
}

// EmailTemplate is an email's subject and bodies.
type EmailTemplate struct {
	Subject string       `yaml:"subject"`
	Body    TemplateBody `yaml:"body"`
}

// SMSTemplate is an SMS's body.
type SMSTemplate struct {
	Body TemplateBody `yaml:"body"`
}

// TemplateBody is a message body as HTML and as plain text.
type TemplateBody struct {
	HTML      string `yaml:"html"`
	Plaintext string `yaml:"plaintext"`
}

// TemplateOverrides returns courier.templates as "<group>.<variant>.<part>" → URL, for the
// parts that are set.
func (c *Config) TemplateOverrides() map[string]string {
	t := c.Courier.Templates
	out := map[string]string{}
	for group, pair := range map[string]TemplatePair{
		"recovery": t.Recovery, "recovery_code": t.RecoveryCode, "verification": t.Verification,
		"verification_code": t.VerificationCode, "login_code": t.LoginCode,
		"registration_code": t.RegistrationCode, "credential_changed": t.CredentialChanged,
		"account_deleted": t.AccountDeleted,
	} {
		for variant, m := range map[string]MessageTemplate{"valid": pair.Valid, "invalid": pair.Invalid} {
			for part, u := range map[string]string{
				"email.subject": m.Email.Subject, "email.body.html": m.Email.Body.HTML,
				"email.body.plaintext": m.Email.Body.Plaintext, "sms.body.plaintext": m.SMS.Body.Plaintext,
			} {
				if u != "" {
					out[group+"."+variant+"."+part] = u
				}
			}
		}
	}
	return out
}

// EmailOverHTTP reports whether email goes through courier.http instead of SMTP.
func (c *Config) EmailOverHTTP() bool { return c.Courier.DeliveryStrategy == "http" }

// CanSendEmail reports whether a channel for email is configured.
func (c *Config) CanSendEmail() bool {
	if c.EmailOverHTTP() {
		return true
	}
	for _, ch := range c.Courier.Channels {
		if ch.ID == "email" {
			return true
		}
	}
	return c.Courier.SMTP.ConnectionURI != ""
}

func (c *Config) validateCourier(check func(error)) {
	co := &c.Courier
	if co.MessageRetries < 0 {
		check(invalid("courier.message_retries", "must be 0 or more, got %d", co.MessageRetries))
	}
	check(oneOf("courier.delivery_strategy", co.DeliveryStrategy, "smtp", "http"))
	if u := co.SMTP.ConnectionURI; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "smtp" && p.Scheme != "smtps") || p.Hostname() == "" {
			check(invalid("courier.smtp.connection_uri", "must be an smtp:// or smtps:// URL with a host"))
		}
	}
	if co.Worker.PullCount < 0 || co.Worker.PullWait < 0 {
		check(invalid("courier.worker", "pull_count and pull_wait must not be negative"))
	}
	if c.EmailOverHTTP() {
		validateRequest("courier.http.request_config", co.HTTP.RequestConfig, check)
	}
	var seen []string
	for i, ch := range co.Channels {
		p := fmt.Sprintf("courier.channels[%d]", i)
		if ch.ID == "" {
			check(invalid(p+".id", "required"))
		}
		if slices.Contains(seen, ch.ID) {
			check(invalid(p+".id", "%q is configured twice", ch.ID))
		}
		seen = append(seen, ch.ID)
		check(oneOf(p+".type", ch.Type, "http"))
		validateRequest(p+".request_config", ch.RequestConfig, check)
	}
}

func validateRequest(p string, r HTTPRequestConfig, check func(error)) {
	check(absURL(p+".url", r.URL))
	if r.Body == "" {
		check(invalid(p+".body", "required: a file://, base64:// or http(s):// URL of a Jsonnet template"))
	}
	switch r.Auth.Type {
	case "":
	case "api_key":
		if r.Auth.Config.Name == "" || r.Auth.Config.Value == "" {
			check(invalid(p+".auth.config", "api_key needs name and value"))
		}
		check(oneOf(p+".auth.config.in", r.Auth.Config.In, "header", "cookie"))
	case "basic_auth":
		if r.Auth.Config.User == "" {
			check(invalid(p+".auth.config.user", "required for basic_auth"))
		}
	default:
		check(oneOf(p+".auth.type", r.Auth.Type, "api_key", "basic_auth"))
	}
}
