package courier_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/courier"
)

// full fills every field a template may use, each with a recognisable value.
var full = courier.TemplateData{
	To: "ann@example.com", RecoveryURL: "https://p.test/recover?t=RURL", RecoveryCode: "RCODE11",
	VerificationURL: "https://p.test/verify?t=VURL", VerificationCode: "VCODE22", LoginCode: "LCODE33",
	RegistrationCode: "GCODE44", ExpiresInMinutes: 15, RequestURL: "https://p.test/flow",
	Identity: map[string]any{"id": "x", "traits": map[string]any{"email": "ann@example.com"}},
	Change:   "password", ChangedAt: "2031-02-03T04:05:06Z", UserAgent: "Firefox", IPAddress: "192.0.2.7",
}

func TestBuiltInTemplates(t *testing.T) {
	tpl := templates(t)
	// What each type's message must carry.
	want := map[courier.TemplateType][]string{
		courier.RecoveryInvalid:         {"no account"},
		courier.RecoveryValid:           {"RURL"},
		courier.RecoveryCodeInvalid:     {"no account"},
		courier.RecoveryCodeValid:       {"RCODE11", "15 minutes"},
		courier.VerificationInvalid:     {"no account"},
		courier.VerificationValid:       {"VURL"},
		courier.VerificationCodeInvalid: {"no account"},
		courier.VerificationCodeValid:   {"VCODE22", "VURL", "15 minutes"},
		courier.LoginCodeValid:          {"LCODE33"},
		courier.RegistrationCodeValid:   {"GCODE44"},
		courier.CredentialChanged:       {"password was changed", "2031-02-03T04:05:06Z", "Firefox", "192.0.2.7"},
		courier.AccountDeleted:          {"account was deleted", "2031-02-03T04:05:06Z", "Firefox", "192.0.2.7"},
	}
	for _, tt := range courier.TemplateTypes {
		c, err := tpl.Render(tt, courier.ChannelEmail, full)
		if err != nil {
			t.Fatalf("%s: %v", tt, err)
		}
		if c.Subject == "" || strings.Contains(c.Subject, "\n") || !strings.HasPrefix(c.HTMLBody, "<!DOCTYPE html>") {
			t.Errorf("%s: subject %q, html %q", tt, c.Subject, c.HTMLBody)
		}
		for _, s := range want[tt] {
			if !strings.Contains(c.Body, s) || !strings.Contains(c.HTMLBody, s) {
				t.Errorf("%s: %q missing from\n%s\n%s", tt, s, c.Body, c.HTMLBody)
			}
		}
		for _, s := range []string{"<no value>", "%!"} {
			if strings.Contains(c.Body+c.HTMLBody+c.Subject, s) {
				t.Errorf("%s: rendered %q", tt, s)
			}
		}
	}
	// Kratos's SMS templates.
	for tt, code := range map[courier.TemplateType]string{
		courier.VerificationCodeValid: "VCODE22", courier.LoginCodeValid: "LCODE33",
		courier.RegistrationCodeValid: "GCODE44", courier.RecoveryCodeValid: "RCODE11",
	} {
		c, err := tpl.Render(tt, courier.ChannelSMS, full)
		if err != nil || !strings.Contains(c.Body, code) || c.HTMLBody != "" || c.Subject != "" {
			t.Errorf("sms %s = %+v, %v", tt, c, err)
		}
	}
	if _, err := tpl.Render(courier.RecoveryValid, courier.ChannelSMS, full); err == nil {
		t.Error("an email-only template rendered an SMS")
	}
}

func TestTemplatesEscapeHTML(t *testing.T) {
	d := full
	d.VerificationCode = `<script>alert(1)</script>`
	c, err := templates(t).Render(courier.VerificationCodeValid, courier.ChannelEmail, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.HTMLBody, "<script>") || !strings.Contains(c.HTMLBody, "&lt;script&gt;") {
		t.Fatalf("html body not escaped: %s", c.HTMLBody)
	}
	if !strings.Contains(c.Body, "<script>") {
		t.Fatalf("plain-text body escaped: %s", c.Body)
	}
}

func TestTemplateOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("recovery_code/valid/email.subject.gotmpl", "Dir subject {{ .To }}")
	write("recovery_code/valid/email.body.plaintext.gotmpl", "Dir text {{ .RecoveryCode }}")
	write("sms.txt", "SMS {{ .VerificationCode }}")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<p>Remote {{ .RecoveryCode }}</p>"))
	}))
	defer srv.Close()
	tpl, err := courier.LoadTemplates(t.Context(), courier.TemplateOptions{
		OverridePath: dir,
		Overrides: map[string]string{
			// The configuration key wins over the directory.
			"recovery_code.valid.email.subject":          "base64://" + base64.StdEncoding.EncodeToString([]byte("Key subject {{ .RecoveryCode }}")),
			"recovery_code.valid.email.body.html":        srv.URL + "/body.html",
			"verification_code.valid.sms.body.plaintext": "file://" + filepath.Join(dir, "sms.txt"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tpl.Render(courier.RecoveryCodeValid, courier.ChannelEmail, full)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "Key subject RCODE11" || c.Body != "Dir text RCODE11" || c.HTMLBody != "<p>Remote RCODE11</p>" {
		t.Fatalf("overridden = %+v", c)
	}
	sms, err := tpl.Render(courier.VerificationCodeValid, courier.ChannelSMS, full)
	if err != nil || sms.Body != "SMS VCODE22" {
		t.Fatalf("overridden sms = %q, %v", sms.Body, err)
	}
	// Other types keep the built-in templates.
	v, err := tpl.Render(courier.VerificationCodeValid, courier.ChannelEmail, full)
	if err != nil || v.Subject != "Please verify your email address" {
		t.Fatalf("built-in after overrides = %q, %v", v.Subject, err)
	}

	for name, o := range map[string]courier.TemplateOptions{
		"unknown key":           {Overrides: map[string]string{"recovery_code.valid.email.footer": "base64://eA=="}},
		"parse error":           {Overrides: map[string]string{"login_code.valid.email.subject": "base64://" + base64.StdEncoding.EncodeToString([]byte("{{ .To "))}},
		"missing file":          {Overrides: map[string]string{"login_code.valid.email.subject": "file:///nonexistent/subject.gotmpl"}},
		"bad directory":         {OverridePath: filepath.Join(dir, "sms.txt")},
		"directory parse error": {OverridePath: dir, Overrides: map[string]string{}},
	} {
		if name == "directory parse error" {
			write("login_code/valid/email.body.gotmpl", "{{ if }}")
		}
		if _, err := courier.LoadTemplates(t.Context(), o); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// TestTemplateOverridesSprig: overrides may use Sprig's hermetic functions, as Kratos's
// templates may, in text and HTML; the functions that read the clock, the environment or
// randomness are not there, so a template that calls one does not load.
func TestTemplateOverridesSprig(t *testing.T) {
	b64 := func(s string) string { return "base64://" + base64.StdEncoding.EncodeToString([]byte(s)) }
	tpl, err := courier.LoadTemplates(t.Context(), courier.TemplateOptions{Overrides: map[string]string{
		"login_code.valid.email.subject":        b64(`{{ .To | upper }} {{ .Nothing | default "friend" }}`),
		"login_code.valid.email.body.plaintext": b64(`{{ .LoginCode | trunc 3 }}{{ repeat 2 "-" }}`),
		"login_code.valid.email.body.html":      b64(`<p>{{ .To | title | quote }}</p>`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := full
	d.To = "ann@example.org"
	d.LoginCode = "123456"
	c, err := tpl.Render(courier.LoginCodeValid, courier.ChannelEmail, d)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "ANN@EXAMPLE.ORG friend" || c.Body != "123--" || c.HTMLBody != "<p>&#34;Ann@Example.Org&#34;</p>" {
		t.Fatalf("rendered = %q / %q / %q", c.Subject, c.Body, c.HTMLBody)
	}
	for _, fn := range []string{`{{ now }}`, `{{ env "HOME" }}`, `{{ randAlpha 4 }}`, `{{ uuidv4 }}`} {
		if _, err := courier.LoadTemplates(t.Context(), courier.TemplateOptions{Overrides: map[string]string{
			"login_code.valid.email.subject": b64(fn),
		}}); err == nil {
			t.Errorf("%s: loaded", fn)
		}
	}
}
