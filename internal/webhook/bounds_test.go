package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
)

// TestFlowBudget: the calls one flow request waits for share Options.FlowTimeout; the call
// that would run past it ends with a 504 that says so, however long each attempt may take.
// Without a budget on the context each call has FlowTimeout to itself.
func TestFlowBudget(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	defer app.Close()
	c := newCaller(t, Options{Timeout: 10 * time.Second, FlowTimeout: time.Second})
	h := load(t, c, map[string]any{"url": app.URL, "method": "POST", "can_interrupt": true})

	ctx := WithBudget(context.Background())
	start := time.Now()
	var err error
	calls := 0
	for ; calls < 5 && err == nil; calls++ {
		_, err = c.Call(ctx, h, &Input{})
	}
	e := apierr.From(err)
	if err == nil || e.Code != http.StatusGatewayTimeout || !strings.Contains(e.Message, "together") {
		t.Fatalf("after %d calls: %v (%+v)", calls, err, e)
	}
	if calls < 2 || calls > 3 {
		t.Errorf("%d calls before the budget ran out, want 2 or 3", calls)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the budget of 1s let the calls run %s", took)
	}
	// Each request has its own budget; a call outside any has FlowTimeout alone.
	for range 3 {
		if _, err := c.Call(context.Background(), h, &Input{}); err != nil {
			t.Fatalf("without a budget: %v", err)
		}
	}
	if _, err := c.Call(WithBudget(context.Background()), h, &Input{}); err != nil {
		t.Fatalf("a fresh budget: %v", err)
	}
}

// TestFlowBudgetDuringBackoff: an app that keeps answering 503 is not tried again past the
// budget; the wait between attempts ends with it.
func TestFlowBudgetDuringBackoff(t *testing.T) {
	var calls atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer app.Close()
	c := newCaller(t, Options{Attempts: 10, Backoff: 300 * time.Millisecond, FlowTimeout: 500 * time.Millisecond})
	h := load(t, c, map[string]any{"url": app.URL, "method": "POST"})
	start := time.Now()
	_, err := c.Call(WithBudget(context.Background()), h, &Input{})
	if e := apierr.From(err); err == nil || e.Code != http.StatusGatewayTimeout {
		t.Fatalf("error %v", err)
	}
	if took := time.Since(start); took > 2*time.Second || calls.Load() > 3 {
		t.Fatalf("%d attempts in %s past a budget of 500ms", calls.Load(), took)
	}
}

// slowTemplate takes a while to evaluate (a fold over n numbers); fast is instant.
func slowTemplate(n int) string {
	return b64(fmt.Sprintf(`function(ctx) { x: std.foldl(function(a, b) a + b, std.range(1, %d), 0) }`, n))
}

// TestTemplatePoolsApart: background calls whose templates are slow, queued many deep, do
// not keep a call a flow waits for from rendering its own template: each kind has its own
// Jsonnet slots. With one shared pool the waited render queues behind them past its 2 s.
func TestTemplatePoolsApart(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer app.Close()
	c := newCaller(t, Options{})
	const size = 100000
	slow := load(t, c, map[string]any{"url": app.URL, "method": "POST", "body": slowTemplate(size), "response": map[string]any{"ignore": true}})
	fast := load(t, c, map[string]any{"url": app.URL, "method": "POST", "body": b64(`function(ctx) {}`), "can_interrupt": true})

	// Enough background renders that, four at a time, they would take over 4 s.
	start := time.Now()
	if _, err := slow.body.render(context.Background(), newPool(1, 0), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	one := max(time.Since(start), 10*time.Millisecond)
	n := min(int(4*4*time.Second/one)+waitedSlots, maxBackground)
	for range n {
		c.Send(slow, &Input{})
	}
	time.Sleep(50 * time.Millisecond) // the background renders take their slots
	start = time.Now()
	if _, err := c.Call(context.Background(), fast, &Input{}); err != nil {
		t.Fatalf("waited call behind %d background renders of %s each: %v", n, one, err)
	}
	t.Logf("waited call behind %d background renders of %s each: %s", n, one, time.Since(start))
	// The queued background renders are cancelled, not left to burn the test's CPU.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	c.Shutdown(ctx)
}

// TestShutdown: at shutdown a background call that arrives within the grace is delivered,
// one still running after it is cancelled (the app sees its request end) and counted, and a
// call sent afterwards is dropped.
func TestShutdown(t *testing.T) {
	cancelled := make(chan struct{}, 1)
	var delivered atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/quick":
			time.Sleep(100 * time.Millisecond)
			delivered.Add(1)
		case "/stuck":
			<-r.Context().Done()
			cancelled <- struct{}{}
		}
	}))
	defer app.Close()
	c := newCaller(t, Options{Timeout: time.Minute, Attempts: 1})
	quick := load(t, c, map[string]any{"url": app.URL + "/quick", "method": "POST", "response": map[string]any{"ignore": true}})
	stuck := load(t, c, map[string]any{"url": app.URL + "/stuck", "method": "POST", "response": map[string]any{"ignore": true}})

	c.Send(quick, &Input{})
	c.Send(stuck, &Input{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if n := c.Shutdown(ctx); n != 1 {
		t.Fatalf("%d calls cancelled, want the stuck one", n)
	}
	if delivered.Load() != 1 {
		t.Fatal("the quick call was not delivered within the grace")
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the stuck call was not cancelled")
	}
	c.Send(quick, &Input{})
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if delivered.Load() != 1 {
		t.Fatal("a call sent after shutdown was made")
	}
}

// TestShutdownRace: 200 calls sent while Shutdown runs are each either made and waited for,
// or dropped; none runs after Shutdown returns, and nothing panics.
func TestShutdownRace(t *testing.T) {
	var made, after atomic.Int32
	var stopped atomic.Bool
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if stopped.Load() {
			after.Add(1)
		}
		made.Add(1)
	}))
	defer app.Close()
	var logged atomic.Int32
	log := slog.New(countHandler{&logged})
	c := newCaller(t, Options{Log: log})
	h := load(t, c, map[string]any{"url": app.URL, "method": "POST", "response": map[string]any{"ignore": true}})
	var wg sync.WaitGroup
	const senders = 200
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == senders/2 {
				if n := c.Shutdown(context.Background()); n != 0 {
					t.Errorf("%d cancelled without a deadline", n)
				}
				stopped.Store(true)
				return
			}
			c.Send(h, &Input{})
		}()
	}
	wg.Wait()
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after.Load() != 0 {
		t.Fatalf("%d calls made after Shutdown returned", after.Load())
	}
	if got := made.Load() + logged.Load(); got != senders-1 {
		t.Fatalf("%d made + %d dropped, want %d", made.Load(), logged.Load(), senders-1)
	}
}

// countHandler counts the log lines of dropped calls.
type countHandler struct{ n *atomic.Int32 }

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "web hook dropped") {
		h.n.Add(1)
	}
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }
