package settings_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// A password change through the settings flow tells the identity's verified address, naming
// the change and the device but never the secret; a profile edit tells nobody; and with
// courier.notices.credential_changed.enabled off nothing is queued.
func TestCredentialChangeSendsNotice(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[enabled], func(t *testing.T) {
			var opts []apptest.Option
			if !enabled {
				opts = append(opts, apptest.WithEnv("COURIER_NOTICES_CREDENTIAL_CHANGED_ENABLED", "false"))
			}
			s := apptest.Start(t, opts...)
			mail := s.StartMail(t)
			email := apptest.Email("notice")
			id := s.CreateIdentity(t, email, password)
			if err := s.App.Store.MarkAddressVerified(context.Background(), id.ID, "email", email, time.Now()); err != nil {
				t.Fatal(err)
			}
			fx := &fixture{s: s, ident: id, token: s.IssueSession(t, id, session.AAL1)}
			c := fx.spa(t)
			c.Header.Set("User-Agent", "NoticeTest/1.0")

			f := fx.newBrowserFlow(t, c)
			wantSuccess(t, fx, submit(fx, c, f, map[string]any{"method": "profile", "traits": map[string]any{"email": email, "name": map[string]any{"first": "Grace", "last": "Hopper"}}}), f)
			mail.Deliver(t)
			if n := len(mail.Box.Mails()); n != 0 {
				t.Fatalf("a profile edit sent %d messages", n)
			}

			const newPassword = "an entirely new passphrase"
			f = fx.newBrowserFlow(t, c)
			wantSuccess(t, fx, submit(fx, c, f, map[string]any{"method": "password", "password": newPassword}), f)
			if !enabled {
				mail.Deliver(t)
				list, _, err := s.App.Store.ListMessages(context.Background(), store.MessageFilter{Recipient: email}, store.ListParams{})
				if err != nil || len(list) != 0 || len(mail.Box.Mails()) != 0 {
					t.Fatalf("notices off: %d queued (%v), %d sent", len(list), err, len(mail.Box.Mails()))
				}
				return
			}
			m := mail.Last(t, email)
			body := m.Text + m.HTML
			if !strings.Contains(body, "password") || !strings.Contains(body, "NoticeTest/1.0") || strings.Contains(body, newPassword) {
				t.Fatalf("notice %q:\n%s", m.Subject, m.Text)
			}
		})
	}
}
