package apptest

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/courier/couriertest"
)

// Mail delivers what a Server queues to a real in-process SMTP server, as a courier worker
// does, and reads the messages that arrived there.
type Mail struct {
	Box    *couriertest.Mailbox
	worker *courier.Worker
}

// StartMail starts an SMTP server for s and a courier worker that delivers s's queue to it
// (on s's clock) whenever a test asks for mail (Deliver, Last, Code), so a test decides when
// mail goes out; WithCourierWorker is the alternative that delivers on its own.
func (s *Server) StartMail(t testing.TB) *Mail {
	t.Helper()
	box := couriertest.Start(t, couriertest.Options{Cleartext: true})
	ch, err := courier.NewSMTP(courier.SMTPOptions{ConnectionURI: box.URI(), FromAddress: "portico@example.com", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := &courier.Worker{Store: s.App.Store, Queue: s.App.Courier, Channels: map[string]courier.Channel{courier.ChannelEmail: ch}, Now: s.Clock.Now}
	return &Mail{Box: box, worker: w}
}

// Deliver sends every queued message that is due.
func (m *Mail) Deliver(t testing.TB) {
	t.Helper()
	for {
		n, err := m.worker.Tick(context.Background())
		if err != nil {
			t.Fatalf("courier: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// Last delivers the queue and returns the newest message that arrived for to.
func (m *Mail) Last(t testing.TB, to string) couriertest.Mail {
	t.Helper()
	m.Deliver(t)
	return m.Box.WaitFor(to, 5*time.Second)
}

var sixDigits = regexp.MustCompile(`(?m)^\s*(\d{6})\s*$`)

// Code delivers the queue and returns the one-time code of the newest message to to that
// carries one (a notice, such as credential_changed after a new password, may arrive after the
// code and is passed over).
func (m *Mail) Code(t testing.TB, to string) string {
	t.Helper()
	msg := m.Last(t, to)
	mails := m.Box.Mails()
	for i := len(mails) - 1; i >= 0; i-- {
		if !slices.ContainsFunc(mails[i].To, func(r string) bool { return strings.EqualFold(r, to) }) {
			continue
		}
		if c := sixDigits.FindStringSubmatch(mails[i].Text); c != nil {
			return c[1]
		}
	}
	t.Fatalf("no code in the messages to %s; the newest: %q", to, msg.Text)
	return ""
}
