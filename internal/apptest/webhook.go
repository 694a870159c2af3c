package apptest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// HookCall is one call a web hook made to a HookApp.
type HookCall struct {
	Method string
	Path   string
	Header http.Header
	// Body is the JSON body the hook's template built (nil when it is not JSON).
	Body map[string]any
}

// HookApp is the operator's app as web hooks see it: a real HTTP server in the test that
// records every call and answers with what Answer returns for it (200 and no body when
// Answer is nil). Answer runs in the server's goroutine and may block.
type HookApp struct {
	*httptest.Server
	Answer func(c HookCall) (status int, body string)

	mu    sync.Mutex
	calls []HookCall
}

// StartHookApp starts a HookApp, closed when the test ends.
func StartHookApp(t testing.TB, answer func(HookCall) (int, string)) *HookApp {
	t.Helper()
	a := &HookApp{Answer: answer}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := HookCall{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		_ = json.Unmarshal(b, &c.Body)
		a.mu.Lock()
		a.calls = append(a.calls, c)
		a.mu.Unlock()
		status, body := http.StatusOK, ""
		if a.Answer != nil {
			status, body = a.Answer(c)
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(a.Close)
	return a
}

// Calls returns the calls received so far to path ("" for every path).
func (a *HookApp) Calls(path string) []HookCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []HookCall
	for _, c := range a.calls {
		if path == "" || c.Path == path {
			out = append(out, c)
		}
	}
	return out
}
