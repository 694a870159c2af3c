package courier_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/courier/couriertest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

func noticeIdentity() *identity.Identity {
	return &identity.Identity{
		ID: uuid.New(), SchemaID: "default", Traits: json.RawMessage(`{"email":"ann@example.com"}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{
			identity.CredentialsPassword: {Identifiers: []string{"ann@example.com"}, Config: json.RawMessage(`{"hashed_password":"$2a$04$secrethash"}`)},
		},
		VerifiableAddresses: []identity.VerifiableAddress{
			{Value: "ann@example.com", Via: "email", Verified: true, Status: "completed"},
			{Value: "ANN@example.com", Via: "email", Verified: true, Status: "completed"}, // the same mailbox
			{Value: "ann.work@example.com", Via: "email", Verified: true, Status: "completed"},
			{Value: "new@example.com", Via: "email", Verified: false, Status: "pending"},
			{Value: "+15550100", Via: "sms", Verified: true, Status: "completed"},
		},
	}
}

// TestCredentialChangedNotice: a password change is told to each verified email address once,
// with when and from which device, and never carries the credential.
func TestCredentialChangedNotice(t *testing.T) {
	box := couriertest.Start(t, couriertest.Options{})
	r := newRig(t, openStore(t, "memory"), box, courier.SMTPOptions{})
	n := &courier.Notifier{Queue: r.queue, Enabled: true, PublicBase: "https://id.example.com/"}
	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.FixedZone("X", 3600))
	sent, err := n.CredentialChanged(t.Context(), noticeIdentity(), courier.Change{What: courier.ChangePassword, At: at,
		UserAgent: "Firefox/140\r\nBcc: evil@example.com\x00", IPAddress: "192.0.2.7"})
	if err != nil || sent != 2 {
		t.Fatalf("queued %d, %v; want the two verified email addresses", sent, err)
	}
	r.tick(t)
	mails := box.WaitCount(2, 30*time.Second)
	to := map[string]bool{}
	for _, m := range mails {
		to[m.To[0]] = true
		if m.Subject != "Your account's sign-in settings changed" || !strings.Contains(m.Text, "Your password was changed on 2031-02-03T03:05:06Z") ||
			!strings.Contains(m.Text, "Firefox/140 Bcc: evil@example.com") || !strings.Contains(m.Text, "192.0.2.7") ||
			strings.Contains(m.Text, "secrethash") || strings.Contains(m.HTML, "secrethash") || m.Header.Get("Bcc") != "" {
			t.Fatalf("notice = %s\n%s", m, m.Text)
		}
	}
	if !to["ann@example.com"] || !to["ann.work@example.com"] {
		t.Fatalf("notices went to %v", to)
	}
	list, _, err := r.st.ListMessages(t.Context(), store.MessageFilter{}, store.ListParams{})
	if err != nil || len(list) != 2 || list[0].TemplateType != "credential_changed" {
		t.Fatalf("queued %d messages, %v", len(list), err)
	}
	c, err := r.queue.Open(list[0])
	if err != nil || strings.Contains(string(c.TemplateData), "secrethash") || strings.Contains(string(c.TemplateData), "credentials") {
		t.Fatalf("template data carries the credential: %s", c.TemplateData)
	}

	// Every kind of change names itself; off means nothing is queued.
	for what, phrase := range map[string]string{
		courier.ChangeTOTP: "authenticator app", courier.ChangeLookupSecret: "recovery codes",
		courier.ChangeWebAuthn: "security keys", courier.ChangePasskey: "passkeys",
		courier.ChangeRecoveryAddress: "recover your account were changed",
	} {
		m, err := r.queue.Prepare(courier.Request{Template: courier.CredentialChanged, To: "ann@example.com",
			Data: courier.TemplateData{Change: what, ChangedAt: "2031-02-03T03:05:06Z"}})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := r.queue.Open(m); err != nil || !strings.Contains(c.Body, phrase) {
			t.Errorf("%s: %q, %v", what, c.Body, err)
		}
	}
	off := &courier.Notifier{Queue: r.queue, Enabled: false}
	if sent, err := off.CredentialChanged(t.Context(), noticeIdentity(), courier.Change{What: courier.ChangePassword}); sent != 0 || err != nil {
		t.Fatalf("disabled notifier queued %d, %v", sent, err)
	}
}

func TestChanges(t *testing.T) {
	before := noticeIdentity()
	before.RecoveryAddresses = []identity.RecoveryAddress{{Value: "ann@example.com", Via: "email"}}
	copyOf := func() *identity.Identity {
		c := *before
		c.Credentials = map[identity.CredentialsType]identity.Credentials{}
		for k, v := range before.Credentials {
			c.Credentials[k] = v
		}
		c.RecoveryAddresses = append([]identity.RecoveryAddress(nil), before.RecoveryAddresses...)
		return &c
	}
	for _, tc := range []struct {
		name   string
		change func(a *identity.Identity)
		want   string
	}{
		{"nothing", func(*identity.Identity) {}, ""},
		{"traits only", func(a *identity.Identity) { a.Traits = json.RawMessage(`{"email":"ann@example.com","name":"Ann"}`) }, ""},
		{"recovery address case only", func(a *identity.Identity) { a.RecoveryAddresses[0].Value = "ANN@example.com" }, ""},
		{"new password", func(a *identity.Identity) {
			a.Credentials[identity.CredentialsPassword] = identity.Credentials{Config: json.RawMessage(`{"hashed_password":"other"}`)}
		}, "password"},
		{"totp added", func(a *identity.Identity) {
			a.Credentials[identity.CredentialsTOTP] = identity.Credentials{Config: json.RawMessage(`{"totp_url":"otpauth://x"}`)}
		}, "totp"},
		{"password removed", func(a *identity.Identity) { delete(a.Credentials, identity.CredentialsPassword) }, "password"},
		{"recovery address replaced", func(a *identity.Identity) {
			a.RecoveryAddresses = []identity.RecoveryAddress{{Value: "attacker@example.com", Via: "email"}}
		}, "recovery_address"},
		{"passkey and recovery address", func(a *identity.Identity) {
			a.Credentials[identity.CredentialsPasskey] = identity.Credentials{Config: json.RawMessage(`{"credentials":[]}`)}
			a.RecoveryAddresses = append(a.RecoveryAddresses, identity.RecoveryAddress{Value: "b@example.com", Via: "email"})
		}, "passkey,recovery_address"},
	} {
		after := copyOf()
		tc.change(after)
		if got := strings.Join(courier.Changes(before, after), ","); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
