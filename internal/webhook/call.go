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

	"github.com/portico-auth/portico/internal/apierr"
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
	// DefaultFlowTimeout bounds the time one request of a flow waits for all its hooks.
	DefaultFlowTimeout = 30 * time.Second
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
	// FlowTimeout bounds the time the calls waited for in one request of a flow take
	// together, counted from the first (DefaultFlowTimeout when 0; see WithBudget).
	FlowTimeout time.Duration
	// Backoff is the first wait between attempts (doubling each time); 200ms when 0.
	Backoff time.Duration
}

// Caller makes the calls of every web hook of a server.
type Caller struct {
	o Options
	// waited and background are the Jsonnet pools of the calls a flow waits for and of the
	// background calls.
	waited, background *pool

	// The background calls: how many are in flight, idle (closed when none is), whether
	// Shutdown has begun, and the context that cancels those still running after it.
	mu       sync.Mutex
	inFlight int
	idle     chan struct{}
	closed   bool
	bgCtx    context.Context
	bgCancel context.CancelFunc
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
	retry.Default(&o.FlowTimeout, DefaultFlowTimeout)
	retry.Default(&o.Backoff, firstBackoff)
	c := &Caller{o: o, waited: newPool(waitedSlots, 0), background: newPool(backgroundSlots, backgroundSlotWait)}
	c.bgCtx, c.bgCancel = context.WithCancel(context.Background())
	return c
}

// budget is the time the calls of one flow request may wait for together; it starts at the
// first call.
type budget struct {
	once     sync.Once
	deadline time.Time
}

type budgetKey struct{}

// WithBudget returns ctx carrying a budget for the calls waited for under it: together they
// may take Options.FlowTimeout from the first one, and a call that would run past it ends
// with a 504 (ErrFlowTimeout). A flow request sets it once (flow.Replier), so that its before,
// pre-persist and after hooks share one budget.
func WithBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, &budget{})
}

// ErrFlowTimeout is a flow request whose hooks took longer than their budget together.
var ErrFlowTimeout = apierr.ErrGatewayTimeout.
	WithReason("A third-party upstream service could not be reached. Please try again later.")

// budgeted returns ctx bounded by its budget's deadline (started now if it has not yet);
// when ctx carries no budget, the call is bounded by FlowTimeout alone.
func (c *Caller) budgeted(ctx context.Context) (context.Context, context.CancelFunc) {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		b = &budget{}
	}
	b.once.Do(func() { b.deadline = time.Now().Add(c.o.FlowTimeout) })
	return context.WithDeadline(ctx, b.deadline)
}

// overBudget turns err into ErrFlowTimeout when it came from ctx's budget running out.
func (c *Caller) overBudget(ctx context.Context, err error) error {
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	var in *Interrupt
	if errors.As(err, &in) {
		return err
	}
	return ErrFlowTimeout.WithMessage(fmt.Sprintf("The web hooks of this request took longer than %s together.", c.o.FlowTimeout)).WithCause(err)
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
	ctx, cancel := c.budgeted(ctx)
	defer cancel()
	body, err := c.body(ctx, h, in)
	if errors.Is(err, ErrCancel) {
		return nil, nil
	}
	if err != nil {
		return nil, c.overBudget(ctx, err)
	}
	status, reply, err := c.attempts(ctx, h, body, false)
	if err != nil {
		return nil, c.overBudget(ctx, err)
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
// is encoded before Send returns, so the caller may change what it points to. Past
// maxBackground calls in flight, or once Shutdown has begun, the call is dropped and logged.
func (c *Caller) Send(h *Hook, in *Input) {
	var data []byte
	if h.sendsBody() {
		var err error
		if data, err = json.Marshal(in); err != nil {
			c.o.Log.Warn("web hook not sent", "url", urlsource.Redact(h.Config.URL), "error", err)
			return
		}
	}
	if why := c.start(); why != "" {
		c.o.Log.Warn("web hook dropped: "+why, "url", urlsource.Redact(h.Config.URL), "max_in_flight", maxBackground)
		return
	}
	go func() {
		defer c.done()
		ctx := c.bgCtx
		body, err := c.render(ctx, h, c.background, data)
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

// start counts a background call in, or says why it may not start.
func (c *Caller) start() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return "the server is stopping"
	case c.inFlight >= maxBackground:
		return "too many in flight"
	}
	if c.inFlight == 0 {
		c.idle = make(chan struct{})
	}
	c.inFlight++
	return ""
}

// done counts a background call out.
func (c *Caller) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	if c.inFlight == 0 {
		close(c.idle)
	}
}

// Wait waits until no background call is in flight, or ctx is done.
func (c *Caller) Wait(ctx context.Context) error {
	c.mu.Lock()
	idle := c.idle
	n := c.inFlight
	c.mu.Unlock()
	if n == 0 {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown ends the background calls when the server stops: calls sent from now on are
// dropped, those in flight get until ctx is done to finish, and those still running then are
// cancelled (each logged as failed). It returns how many were cancelled.
func (c *Caller) Shutdown(ctx context.Context) int {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.Wait(ctx) == nil {
		return 0
	}
	c.mu.Lock()
	n := c.inFlight
	c.mu.Unlock()
	c.bgCancel()
	return n
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
	return c.render(ctx, h, c.waited, data)
}

func (c *Caller) render(ctx context.Context, h *Hook, p *pool, data []byte) ([]byte, error) {
	if !h.sendsBody() {
		return nil, nil
	}
	return h.body.render(ctx, p, data)
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
			return 0, nil, ErrTimeout.WithCause(ctx.Err())
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
