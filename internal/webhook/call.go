package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/portico-auth/portico/internal/retry"
	"github.com/portico-auth/portico/internal/urlsource"
)

// Bounds of the calls.
const (
	// maxReply bounds what is read of the app's answer.
	maxReply = 1 << 20
	// DefaultTimeout bounds one attempt; DefaultAttempts the attempts of one call.
	DefaultTimeout  = 10 * time.Second
	DefaultAttempts = 3
	// maxBackground bounds the ignored-response calls in flight; past it a call is dropped
	// (and logged) rather than holding the flow's reply or growing without bound.
	maxBackground = 256
	firstBackoff  = 200 * time.Millisecond
)

// Options configure a Caller.
type Options struct {
	// Client makes the calls; nil is a client of its own. Redirects are never followed.
	Client *http.Client
	// Log notes the failures of background calls (required).
	Log *slog.Logger
	// Timeout bounds one attempt (DefaultTimeout when 0); Attempts the attempts of a call
	// (DefaultAttempts when 0). A call waited for is tried again only when the app could not
	// be reached or answered 429, 502, 503 or 504; a background call also after a timeout.
	Timeout  time.Duration
	Attempts int
	// Backoff is the first wait between attempts (doubling each time); 200ms when 0.
	Backoff time.Duration
}

// Caller makes the calls of every web hook of a server.
type Caller struct {
	o     Options
	bg    sync.WaitGroup
	slots chan struct{}
}

// NewCaller returns a caller with o's defaults filled in.
func NewCaller(o Options) *Caller {
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	client := *o.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o.Client = &client
	retry.Default(&o.Timeout, DefaultTimeout)
	retry.Default(&o.Attempts, DefaultAttempts)
	retry.Default(&o.Backoff, firstBackoff)
	return &Caller{o: o, slots: make(chan struct{}, maxBackground)}
}

// Hook is one configured web hook, its template loaded.
type Hook struct {
	Config *Config
	body   *template
}

// Load reads and parses cfg's body template (at start-up, so that a broken template stops
// the server instead of a flow).
func (c *Caller) Load(ctx context.Context, cfg *Config) (*Hook, error) {
	t, err := loadTemplate(ctx, cfg.Body, c.o.Client)
	if err != nil {
		return nil, err
	}
	return &Hook{Config: cfg, body: t}, nil
}

// Input is what a body template sees as ctx, under Kratos's names.
type Input struct {
	Flow           any               `json:"flow"`
	RequestHeaders http.Header       `json:"request_headers"`
	RequestMethod  string            `json:"request_method"`
	RequestURL     string            `json:"request_url"`
	RequestCookies map[string]string `json:"request_cookies"`
	Identity       any               `json:"identity,omitempty"`
	Session        any               `json:"session,omitempty"`
}

// Call makes h's call for in and waits for the answer. A parse hook's 200 may carry a Patch
// (nil when it changes nothing); a refusal of a hook that may interrupt is an *Interrupt;
// an app that could not be reached, did not answer in time or answered wrongly is
// ErrUnreachable, ErrTimeout or ErrBadGateway. A template that cancels the call is no call
// and no error.
func (c *Caller) Call(ctx context.Context, h *Hook, in *Input) (*Patch, error) {
	body, err := c.body(ctx, h, in)
	if errors.Is(err, ErrCancel) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	status, reply, err := c.attempts(ctx, h, body, false)
	if err != nil {
		return nil, err
	}
	switch {
	case status >= 400 && h.Config.Interrupts():
		return nil, parseRefusal(status, reply)
	case status == http.StatusOK && h.Config.Response.Parse:
		return parsePatch(reply)
	case status < 200 || status >= 300:
		return nil, ErrBadGateway.WithMessage(fmt.Sprintf("The web hook answered %d.", status))
	}
	return nil, nil
}

// Send makes h's call for in in the background and returns at once (response.ignore). in
// is encoded before Send returns, so the caller may change what it points to.
func (c *Caller) Send(h *Hook, in *Input) {
	var data []byte
	if h.sendsBody() {
		var err error
		if data, err = json.Marshal(in); err != nil {
			c.o.Log.Warn("web hook not sent", "url", urlsource.Redact(h.Config.URL), "error", err)
			return
		}
	}
	select {
	case c.slots <- struct{}{}:
	default:
		c.o.Log.Warn("web hook dropped: too many in flight", "url", urlsource.Redact(h.Config.URL), "in_flight", maxBackground)
		return
	}
	c.bg.Add(1)
	go func() {
		defer func() { <-c.slots; c.bg.Done() }()
		ctx := context.Background()
		body, err := c.render(ctx, h, data)
		if errors.Is(err, ErrCancel) {
			return
		}
		status := 0
		if err == nil {
			status, _, err = c.attempts(ctx, h, body, true)
		}
		if err == nil && (status < 200 || status >= 300) {
			err = fmt.Errorf("the app answered %d", status)
		}
		if err != nil {
			c.o.Log.Warn("web hook failed", "url", urlsource.Redact(h.Config.URL), "error", err)
		}
	}()
}

// Wait waits until every background call has ended, or ctx is done.
func (c *Caller) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { c.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendsBody is whether h's calls carry a body: a template is set and the method takes one.
// Without one the input is not encoded at all.
func (h *Hook) sendsBody() bool { return h.body != nil && h.Config.Method != http.MethodTrace }

func (c *Caller) body(ctx context.Context, h *Hook, in *Input) ([]byte, error) {
	if !h.sendsBody() {
		return nil, nil
	}
	data, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return c.render(ctx, h, data)
}

func (c *Caller) render(ctx context.Context, h *Hook, data []byte) ([]byte, error) {
	if !h.sendsBody() {
		return nil, nil
	}
	return h.body.render(ctx, data)
}

// attempts makes the call up to Attempts times, waiting Backoff (doubled each time) between
// attempts that may succeed when tried again.
func (c *Caller) attempts(ctx context.Context, h *Hook, body []byte, retryTimeouts bool) (int, []byte, error) {
	for i := 1; ; i++ {
		status, reply, err := c.once(ctx, h, body)
		again := status == http.StatusTooManyRequests || status == http.StatusBadGateway ||
			status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout ||
			(err != nil && (retryTimeouts || !errors.Is(err, ErrTimeout)))
		if !again || i >= c.o.Attempts {
			return status, reply, err
		}
		select {
		case <-time.After(retry.Backoff(c.o.Backoff, 0, i)):
		case <-ctx.Done():
			return status, reply, err
		}
	}
}

// once makes one attempt: the status and at most maxReply bytes of the answer, or
// ErrTimeout / ErrUnreachable.
func (c *Caller) once(ctx context.Context, h *Hook, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, h.Config.Method, h.Config.URL, rd)
	if err != nil {
		return 0, nil, ErrUnreachable.WithCause(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	h.Config.apply(req)
	resp, err := c.o.Client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return 0, nil, ErrTimeout.WithCause(err)
		}
		return 0, nil, ErrUnreachable.WithCause(err)
	}
	defer resp.Body.Close()
	if !h.Config.Interrupts() {
		// No one reads the answer: it is drained (bounded) so the connection is reused, not
		// held in memory, which up to maxBackground calls at once would each do.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReply))
		return resp.StatusCode, nil, nil
	}
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, nil, ErrTimeout.WithCause(err)
		}
		return 0, nil, ErrUnreachable.WithCause(err)
	}
	if len(reply) > maxReply {
		return 0, nil, ErrBadGateway.WithMessage(fmt.Sprintf("The web hook's answer is over %d bytes.", maxReply))
	}
	return resp.StatusCode, reply, nil
}
