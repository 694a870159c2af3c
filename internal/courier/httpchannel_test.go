package courier_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/store"
)

// smsBody is a provider's body as an operator writes it: Kratos's ctx names.
const smsBody = `function(ctx) {
  to: ctx.Recipient,
  text: ctx.Body,
  kind: ctx.TemplateType,
  type: ctx.MessageType,
  code: if "VerificationCode" in ctx.TemplateData then ctx.TemplateData.VerificationCode else null,
}`

type received struct {
	method, auth, apiKey, cookie, tenant, contentType string
	body                                              map[string]any
}

func provider(t *testing.T, status int) (*httptest.Server, func() []received) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []received
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec := received{method: r.Method, auth: r.Header.Get("Authorization"), apiKey: r.Header.Get("X-Api-Key"),
			tenant: r.Header.Get("X-Tenant"), contentType: r.Header.Get("Content-Type")}
		if c, err := r.Cookie("key"); err == nil {
			rec.cookie = c.Value
		}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &rec.body); err != nil {
				t.Errorf("provider got a body that is not JSON: %q", b)
			}
		}
		mu.Lock()
		got = append(got, rec)
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"echo":"the provider may echo the message"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received { mu.Lock(); defer mu.Unlock(); return append([]received(nil), got...) }
}

// smsRig is a queue and worker with an SMS channel over HTTP and no email channel.
func smsRig(t *testing.T, o courier.HTTPOptions) (*courier.Queue, *courier.Worker, store.Store) {
	t.Helper()
	st := openStore(t, "memory")
	c := newClock()
	ch, err := courier.NewHTTP(o)
	if err != nil {
		t.Fatal(err)
	}
	q := courier.NewQueue(courier.QueueOptions{Store: st, Templates: templates(t), Secrets: []string{secret}, Now: c.Now,
		Channels: []string{courier.ChannelSMS}})
	w := &courier.Worker{Store: st, Queue: q, Channels: map[string]courier.Channel{courier.ChannelSMS: ch},
		Now: c.Now, Retries: 3, SendTimeout: 5 * time.Second}
	return q, w, st
}

func TestHTTPChannelSMS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  courier.HTTPOptions
		check func(t *testing.T, r received)
	}{
		{"api key in a header", courier.HTTPOptions{AuthType: "api_key", APIKeyName: "X-Api-Key", APIKeyValue: "k3y", APIKeyIn: "header",
			Headers: map[string]string{"X-Tenant": "t1"}}, func(t *testing.T, r received) {
			if r.apiKey != "k3y" || r.tenant != "t1" {
				t.Errorf("api key %q, tenant %q", r.apiKey, r.tenant)
			}
		}},
		{"api key in a cookie", courier.HTTPOptions{AuthType: "api_key", APIKeyName: "key", APIKeyValue: "k3y", APIKeyIn: "cookie"},
			func(t *testing.T, r received) {
				if r.cookie != "k3y" {
					t.Errorf("cookie %q", r.cookie)
				}
			}},
		{"basic auth", courier.HTTPOptions{AuthType: "basic_auth", User: "u", Password: "p w"}, func(t *testing.T, r received) {
			if r.auth != "Basic dTpwIHc=" {
				t.Errorf("Authorization %q", r.auth)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := provider(t, http.StatusAccepted)
			tc.opts.URL, tc.opts.Body = srv.URL+"/send", []byte(smsBody)
			q, w, st := smsRig(t, tc.opts)
			m, err := q.Enqueue(t.Context(), courier.Request{Template: courier.VerificationCodeValid, To: "+15550100",
				Channel: courier.ChannelSMS, Data: courier.TemplateData{VerificationCode: "864209"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			calls := got()
			if len(calls) != 1 {
				t.Fatalf("%d calls", len(calls))
			}
			r := calls[0]
			if r.method != http.MethodPost || r.contentType != "application/json" || r.body["to"] != "+15550100" ||
				r.body["code"] != "864209" || r.body["kind"] != "verification_code_valid" || r.body["type"] != "phone" ||
				!strings.Contains(r.body["text"].(string), "864209") {
				t.Fatalf("provider got %+v", r)
			}
			tc.check(t, r)
			sent, err := st.GetMessage(t.Context(), m.ID)
			if err != nil || sent.Status != store.MessageSent || sent.Type != "phone" || sent.Channel != "sms" {
				t.Fatalf("stored %+v, %v", sent, err)
			}
		})
	}
}

func TestHTTPChannelFailures(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusServiceUnavailable, store.MessageQueued},
		{http.StatusTooManyRequests, store.MessageQueued},
		{http.StatusBadRequest, store.MessageAbandoned},
		{http.StatusUnauthorized, store.MessageAbandoned},
	} {
		srv, _ := provider(t, tc.status)
		q, w, st := smsRig(t, courier.HTTPOptions{URL: srv.URL, Body: []byte(smsBody)})
		m, err := q.Enqueue(t.Context(), courier.Request{Template: courier.LoginCodeValid, To: "+15550100",
			Channel: courier.ChannelSMS, Data: courier.TemplateData{LoginCode: "555111"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetMessage(t.Context(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != tc.want || !strings.Contains(got.LastError, http.StatusText(tc.status)) ||
			strings.Contains(got.LastError, "echo") || strings.Contains(got.LastError, "555111") {
			t.Errorf("%d: status %s, error %q", tc.status, got.Status, got.LastError)
		}
	}
}

func TestJsonnetBodyBounds(t *testing.T) {
	out := courier.Outgoing{Recipient: "+15550100", Content: courier.Content{Body: "b", TemplateData: json.RawMessage(`{"To":"x"}`)}}
	for name, body := range map[string]string{
		"reads a file":  `function(ctx) import "/etc/passwd"`,
		"too large":     `function(ctx) { a: std.repeat("x", 2 * 1024 * 1024) }`,
		"runtime error": `function(ctx) error "boom " + ctx.Recipient`,
		"endless":       `function(ctx) std.length(std.range(1, 100000000))`,
	} {
		h, err := courier.NewHTTP(courier.HTTPOptions{URL: "http://127.0.0.1:1/", Body: []byte(body)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		timeout := 500 * time.Millisecond
		if name == "slow" {
			timeout = time.Millisecond
		}
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		_, err = h.Render(ctx, out)
		cancel()
		if err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
	if _, err := courier.NewHTTP(courier.HTTPOptions{URL: "http://x/", Body: []byte("function(ctx) {")}); err == nil {
		t.Error("a template that does not parse was accepted")
	}
	// Kratos's own default body for email over HTTP renders.
	kratosDefault := `function(ctx) {
  recipient: ctx.Recipient,
  template_type: ctx.TemplateType,
  to: if "TemplateData" in ctx && "To" in ctx.TemplateData then ctx.TemplateData.To else null,
  subject: ctx.Subject,
  body: ctx.Body
}`
	h, err := courier.NewHTTP(courier.HTTPOptions{URL: "http://x/", Body: []byte(kratosDefault)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Render(t.Context(), out)
	if err != nil || !strings.Contains(string(b), `"to": "x"`) {
		t.Fatalf("default body = %s, %v", b, err)
	}
}
