package config

import (
	"strings"
	"testing"
	"time"
)

func TestCourierDefaults(t *testing.T) {
	c, _ := mustLoad(t, minimal, nil, false)
	co := c.Courier
	if co.MessageRetries != 5 || co.DeliveryStrategy != "smtp" || co.Worker.PullCount != 10 || co.Worker.PullWait != time.Second ||
		!co.Notices.CredentialChanged.Enabled || co.SMTP.FromAddress == "" || c.CanSendEmail() || len(c.TemplateOverrides()) != 0 {
		t.Fatalf("defaults = %+v", co)
	}
}

func TestCourierKeys(t *testing.T) {
	c, w := mustLoad(t, minimal+`
courier:
  smtp:
    connection_uri: smtps://user:pw@mail.example.com:465/?skip_ssl_verify=false
    from_address: accounts@example.com
    from_name: Example Accounts
    local_name: portico.example.com
    headers:
      X-SES-SOURCE-ARN: arn:aws:ses:eu-west-1:1:identity/example.com
  message_retries: 8
  template_override_path: /etc/portico/templates
  templates:
    recovery_code:
      valid:
        email:
          subject: base64://e3sgLlJlY292ZXJ5Q29kZSB9fQ==
          body:
            html: file:///t/recovery.html.gotmpl
            plaintext: https://templates.example.com/recovery.txt
    verification_code:
      valid:
        sms:
          body:
            plaintext: file:///t/sms.gotmpl
    credential_changed:
      valid:
        email:
          subject: file:///t/changed.subject.gotmpl
  channels:
    - id: sms
      type: http
      request_config:
        url: https://sms.example.com/send
        method: POST
        body: base64://ZnVuY3Rpb24oY3R4KSB7fQ==
        headers:
          X-Tenant: t1
        auth:
          type: api_key
          config:
            name: X-Api-Key
            value: k3y
            in: header
  worker:
    pull_count: 20
    pull_wait: 250ms
  notices:
    credential_changed:
      enabled: false
`, nil, false)
	if len(w) != 0 {
		t.Fatalf("warnings %q", w)
	}
	co := c.Courier
	if co.SMTP.ConnectionURI != "smtps://user:pw@mail.example.com:465/?skip_ssl_verify=false" || co.SMTP.FromName != "Example Accounts" ||
		co.SMTP.Headers["X-SES-SOURCE-ARN"] != "arn:aws:ses:eu-west-1:1:identity/example.com" || co.SMTP.LocalName != "portico.example.com" ||
		co.MessageRetries != 8 || co.TemplateOverridePath != "/etc/portico/templates" || co.Worker.PullCount != 20 ||
		co.Worker.PullWait != 250*time.Millisecond || co.Notices.CredentialChanged.Enabled || !c.CanSendEmail() {
		t.Fatalf("courier = %+v", co)
	}
	ch := co.Channels[0]
	if len(co.Channels) != 1 || ch.ID != "sms" || ch.RequestConfig.URL != "https://sms.example.com/send" ||
		ch.RequestConfig.Headers["X-Tenant"] != "t1" || ch.RequestConfig.Auth.Config.Value != "k3y" {
		t.Fatalf("channels = %+v", co.Channels)
	}
	want := map[string]string{
		"recovery_code.valid.email.subject":          "base64://e3sgLlJlY292ZXJ5Q29kZSB9fQ==",
		"recovery_code.valid.email.body.html":        "file:///t/recovery.html.gotmpl",
		"recovery_code.valid.email.body.plaintext":   "https://templates.example.com/recovery.txt",
		"verification_code.valid.sms.body.plaintext": "file:///t/sms.gotmpl",
		"credential_changed.valid.email.subject":     "file:///t/changed.subject.gotmpl",
	}
	got := c.TemplateOverrides()
	if len(got) != len(want) {
		t.Fatalf("overrides = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("override %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestCourierFromEnvironment(t *testing.T) {
	c, _ := mustLoad(t, minimal, map[string]string{
		"COURIER_SMTP_CONNECTION_URI":                      "smtp://mail:25/?disable_starttls=true",
		"COURIER_SMTP_HEADERS":                             `{"X-A":"1"}`,
		"COURIER_MESSAGE_RETRIES":                          "2",
		"COURIER_TEMPLATES_LOGIN_CODE_VALID_EMAIL_SUBJECT": "base64://eA==",
		"COURIER_CHANNELS":                                 `[{"id":"sms","type":"http","request_config":{"url":"http://sms.test/","body":"base64://eA=="}}]`,
		"COURIER_NOTICES_CREDENTIAL_CHANGED_ENABLED":       "false",
	}, false)
	co := c.Courier
	if co.SMTP.ConnectionURI != "smtp://mail:25/?disable_starttls=true" || co.SMTP.Headers["X-A"] != "1" || co.MessageRetries != 2 ||
		c.TemplateOverrides()["login_code.valid.email.subject"] != "base64://eA==" || len(co.Channels) != 1 ||
		co.Notices.CredentialChanged.Enabled {
		t.Fatalf("courier from env = %+v", co)
	}
	if _, _, err := load(t, minimal, map[string]string{"COURIER_SMTP_HEADERS": "[1"}, false); err == nil ||
		!strings.Contains(err.Error(), "courier.smtp.headers (from COURIER_SMTP_HEADERS): must be a JSON object") {
		t.Fatalf("bad headers env: %v", err)
	}
}

func TestCourierInvalid(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"courier:\n  smtp:\n    connection_uri: http://mail\n", "courier.smtp.connection_uri"},
		{"courier:\n  smtp:\n    connection_uri: smtp://\n", "courier.smtp.connection_uri"},
		{"courier:\n  message_retries: -1\n", "courier.message_retries"},
		{"courier:\n  delivery_strategy: pigeon\n", "courier.delivery_strategy"},
		{"courier:\n  delivery_strategy: http\n", "courier.http.request_config.url"},
		{"courier:\n  smtp:\n    headers: [a]\n", "courier.smtp.headers"},
		{"courier:\n  channels:\n    - id: sms\n      type: smtp\n", "courier.channels[0].type"},
		{"courier:\n  channels:\n    - type: http\n      request_config: {url: 'https://x.test', body: 'base64://eA=='}\n", "courier.channels[0].id"},
		{"courier:\n  channels:\n    - id: sms\n      type: http\n      request_config: {url: 'ftp://x', body: 'base64://eA=='}\n", "courier.channels[0].request_config.url"},
		{"courier:\n  channels:\n    - id: sms\n      type: http\n      request_config: {url: 'https://x.test'}\n", "courier.channels[0].request_config.body"},
		{"courier:\n  channels:\n    - id: sms\n      type: http\n      request_config: {url: 'https://x.test', body: 'base64://eA==', auth: {type: api_key, config: {name: a, value: b, in: query}}}\n", "courier.channels[0].request_config.auth.config.in"},
		{"courier:\n  channels:\n    - id: sms\n      type: http\n      request_config: {url: 'https://x.test', body: 'base64://eA==', auth: {type: oauth}}\n", "courier.channels[0].request_config.auth.type"},
		{"courier:\n  channels:\n    - {id: sms, type: http, request_config: {url: 'https://x.test', body: 'base64://eA=='}}\n    - {id: sms, type: http, request_config: {url: 'https://x.test', body: 'base64://eA=='}}\n", "courier.channels[1].id"},
		{"courier:\n  worker:\n    pull_wait: soon\n", "courier.worker.pull_wait"},
	} {
		_, _, err := load(t, minimal+tc.yaml, nil, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one naming %s", tc.yaml, err, tc.want)
		}
	}
}
