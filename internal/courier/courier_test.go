package courier_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/courier/couriertest"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

const secret = "a-courier-test-secret-0123456789"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)} }

func openStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.MigrateUp(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func templates(t *testing.T) *courier.Templates {
	t.Helper()
	tpl, err := courier.LoadTemplates(context.Background(), courier.TemplateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// rig is a queue and a worker over one store, sending to a mailbox.
type rig struct {
	st     store.Store
	clock  *clock
	queue  *courier.Queue
	worker *courier.Worker
	box    *couriertest.Mailbox
}

func newRig(t *testing.T, st store.Store, box *couriertest.Mailbox, smtp courier.SMTPOptions) *rig {
	t.Helper()
	c := newClock()
	q := courier.NewQueue(courier.QueueOptions{Store: st, Templates: templates(t), Secrets: []string{secret}, Now: c.Now})
	if smtp.ConnectionURI == "" {
		smtp.ConnectionURI = box.URI()
	}
	if smtp.FromAddress == "" {
		smtp.FromAddress = "no-reply@portico.test"
	}
	ch, err := courier.NewSMTP(smtp)
	if err != nil {
		t.Fatal(err)
	}
	w := &courier.Worker{Store: st, Queue: q, Channels: map[string]courier.Channel{courier.ChannelEmail: ch},
		Now: c.Now, Retries: courier.DefaultRetries, SendTimeout: 5 * time.Second}
	return &rig{st: st, clock: c, queue: q, worker: w, box: box}
}

func (r *rig) enqueue(t *testing.T, to, code string) *store.Message {
	t.Helper()
	m, err := r.queue.Enqueue(t.Context(), courier.Request{Template: courier.VerificationCodeValid, To: to,
		Data: courier.TemplateData{VerificationCode: code, VerificationURL: "https://portico.test/verify?code=" + code, ExpiresInMinutes: 15}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (r *rig) tick(t *testing.T) int {
	t.Helper()
	n, err := r.worker.Tick(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *rig) message(t *testing.T, m *store.Message) *store.Message {
	t.Helper()
	got, err := r.st.GetMessage(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSMTPDelivery(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts couriertest.Options
	}{
		{"starttls", couriertest.Options{}},
		{"implicit tls", couriertest.Options{ImplicitTLS: true}},
		{"cleartext", couriertest.Options{Cleartext: true}},
		{"starttls with a password", couriertest.Options{User: "portico", Password: "s3cret pass"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box := couriertest.Start(t, tc.opts)
			r := newRig(t, openStore(t, "memory"), box, courier.SMTPOptions{
				FromAddress: "accounts@portico.test", FromName: "Portico Accounts",
				Headers: map[string]string{"X-SES-SOURCE-ARN": "arn:aws:ses:test"},
			})
			m := r.enqueue(t, "Ann@example.com", "482913")
			if n := r.tick(t); n != 1 {
				t.Fatalf("tick claimed %d messages", n)
			}
			got := box.WaitFor("Ann@example.com", 30*time.Second)
			if got.Subject != "Please verify your email address" || !strings.Contains(got.Text, "482913") ||
				!strings.Contains(got.HTML, "<strong>482913</strong>") ||
				!strings.Contains(got.HTML, `href="https://portico.test/verify?code=482913"`) {
				t.Fatalf("mail = %s\ntext %q\nhtml %q", got, got.Text, got.HTML)
			}
			if got.From != "accounts@portico.test" || got.Header.Get("From") != `"Portico Accounts" <accounts@portico.test>` ||
				got.Header.Get("X-SES-SOURCE-ARN") != "arn:aws:ses:test" || !strings.HasPrefix(got.Header.Get("Message-Id"), "<"+m.ID.String()) {
				t.Fatalf("headers = %v (from %s)", got.Header, got.From)
			}
			stored := r.message(t, m)
			if stored.Status != store.MessageSent || stored.SendCount != 1 || len(stored.Dispatches) != 1 ||
				stored.Dispatches[0].Status != store.DispatchSuccess {
				t.Fatalf("stored = %+v", stored)
			}
			// Nothing more to send.
			if n := r.tick(t); n != 0 || len(box.Mails()) != 1 {
				t.Fatalf("second tick claimed %d, %d mails", n, len(box.Mails()))
			}
		})
	}
}

func TestSMTPWrongPasswordIsRetried(t *testing.T) {
	box := couriertest.Start(t, couriertest.Options{User: "portico", Password: "right"})
	uri := strings.Replace(box.URI(), "portico:right@", "portico:wrong@", 1)
	r := newRig(t, openStore(t, "memory"), box, courier.SMTPOptions{ConnectionURI: uri})
	m := r.enqueue(t, "ann@example.com", "111111")
	r.tick(t)
	got := r.message(t, m)
	if got.Status != store.MessageQueued || got.SendCount != 1 || got.LastError == "" || strings.Contains(got.LastError, "wrong") {
		t.Fatalf("after a refused login: %+v", got)
	}
}

// TestSMTPOutage: while the SMTP server is down the message stays queued (with the error and
// a retry time, backing off); once the server is back it goes out, once.
func TestSMTPOutage(t *testing.T) {
	box := couriertest.Start(t, couriertest.Options{})
	r := newRig(t, openStore(t, "memory"), box, courier.SMTPOptions{})
	box.Stop()
	m := r.enqueue(t, "ann@example.com", "222222")
	r.tick(t)
	got := r.message(t, m)
	if got.Status != store.MessageQueued || got.SendCount != 1 || !strings.Contains(got.LastError, "smtp") ||
		!got.AvailableAt.Equal(r.clock.Now().Add(courier.DefaultRetryBase)) {
		t.Fatalf("after a failed attempt: %+v", got)
	}
	// Not due before the backoff.
	if n := r.tick(t); n != 0 {
		t.Fatalf("retried %d before the backoff", n)
	}
	r.clock.Advance(courier.DefaultRetryBase)
	r.tick(t) // second failure: the next wait doubles
	got = r.message(t, m)
	if got.SendCount != 2 || !got.AvailableAt.Equal(r.clock.Now().Add(2*courier.DefaultRetryBase)) {
		t.Fatalf("after the second failed attempt: send_count %d, available %v", got.SendCount, got.AvailableAt)
	}
	box.Restart()
	r.clock.Advance(2 * courier.DefaultRetryBase)
	r.tick(t)
	box.WaitFor("ann@example.com", 30*time.Second)
	got = r.message(t, m)
	if got.Status != store.MessageSent || got.SendCount != 3 || len(got.Dispatches) != 3 ||
		got.Dispatches[0].Status != store.DispatchFailed || got.Dispatches[2].Status != store.DispatchSuccess {
		t.Fatalf("after the server came back: %+v", got)
	}
	if len(box.Mails()) != 1 {
		t.Fatalf("%d mails arrived, want 1", len(box.Mails()))
	}
}

func TestAbandonedAfterRetries(t *testing.T) {
	box := couriertest.Start(t, couriertest.Options{})
	r := newRig(t, openStore(t, "memory"), box, courier.SMTPOptions{})
	r.worker.Retries = 2
	box.Stop()
	m := r.enqueue(t, "ann@example.com", "333333")
	for range 3 {
		if n := r.tick(t); n != 1 {
			t.Fatalf("tick claimed %d", n)
		}
		r.clock.Advance(courier.DefaultRetryMax)
	}
	got := r.message(t, m)
	if got.Status != store.MessageAbandoned || got.SendCount != 3 {
		t.Fatalf("after 1 attempt and 2 retries: %+v", got)
	}
	box.Restart()
	if n := r.tick(t); n != 0 || len(box.Mails()) != 0 {
		t.Fatalf("an abandoned message was sent")
	}
}

func TestRefusedRecipientIsAbandonedAtOnce(t *testing.T) {
	box := couriertest.Start(t, couriertest.Options{Reject: []string{"gone@example.com"}})
	r := newRig(t, openStore(t, "memory"), box, courier.SMTPOptions{})
	m := r.enqueue(t, "gone@example.com", "444444")
	r.tick(t)
	got := r.message(t, m)
	if got.Status != store.MessageAbandoned || got.SendCount != 1 || !strings.Contains(got.LastError, "550") {
		t.Fatalf("a recipient refused with 550: %+v", got)
	}
}

// TestSealedAtRest: the code is not in the stored row, and a payload copied to another message
// does not open there.
func TestSealedAtRest(t *testing.T) {
	st := openStore(t, "memory")
	box := couriertest.Start(t, couriertest.Options{})
	r := newRig(t, st, box, courier.SMTPOptions{})
	m := r.enqueue(t, "ann@example.com", "987654")
	var payload string
	if err := st.DB().QueryRowContext(t.Context(), "SELECT payload FROM courier_messages WHERE id = ?", m.ID.String()).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(payload, "987654") || strings.Contains(payload, "verify") {
		t.Fatalf("the stored payload holds the message in clear: %q", payload)
	}
	other := r.enqueue(t, "bob@example.com", "000000")
	other.Payload = m.Payload
	if _, err := r.queue.Open(other); err == nil {
		t.Fatal("a payload opened under another message's id")
	}
	c, err := r.queue.Open(m)
	if err != nil || !strings.Contains(c.Body, "987654") {
		t.Fatalf("Open = %q, %v", c.Body, err)
	}
}

func TestEnqueueRefuses(t *testing.T) {
	box := couriertest.Start(t, couriertest.Options{})
	r := newRig(t, openStore(t, "memory"), box, courier.SMTPOptions{})
	for name, req := range map[string]courier.Request{
		"unknown template": {Template: "nope", To: "a@example.com"},
		"no recipient":     {Template: courier.RecoveryCodeValid},
		"header injection": {Template: courier.RecoveryCodeValid, To: "a@example.com\r\nBcc: x@evil.test"},
		"no sms channel":   {Template: courier.VerificationCodeValid, To: "+15550100", Channel: courier.ChannelSMS},
		"invalid utf-8":    {Template: courier.RecoveryCodeValid, To: "a\xff@example.com"},
		"overlong address": {Template: courier.RecoveryCodeValid, To: strings.Repeat("a", 400) + "@example.com"},
	} {
		if _, err := r.queue.Enqueue(t.Context(), req); err == nil {
			t.Errorf("%s: queued", name)
		}
	}
	list, _, err := r.st.ListMessages(t.Context(), store.MessageFilter{}, store.ListParams{})
	if err != nil || len(list) != 0 {
		t.Fatalf("%d messages queued, %v", len(list), err)
	}
}
