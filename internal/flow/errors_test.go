package flow

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
)

type memErrors struct {
	mu sync.Mutex
	m  map[uuid.UUID][]byte
}

func (s *memErrors) CreateError(_ context.Context, id uuid.UUID, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[uuid.UUID][]byte{}
	}
	s.m[id] = data
	return nil
}

func (s *memErrors) DeleteErrorsBefore(context.Context, time.Time, int) (int, error) { return 0, nil }

func (s *memErrors) GetError(_ context.Context, id uuid.UUID) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.m[id]; ok {
		return d, nil
	}
	return nil, apierr.ErrNotFound
}

var fixedNow = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

func newErrorWriter() *Replier {
	return &Replier{Store: &memErrors{}, ErrorUIURL: "http://127.0.0.1:4455/error?lang=en", Now: func() time.Time { return fixedNow }}
}

func TestErrorWriterJSON(t *testing.T) {
	ew := newErrorWriter()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/self-service/settings/browser", nil)
	r.Header.Set("Accept", "application/json")
	ew.Write(w, r, ForbiddenReturnTo("https://evil.example/"))
	if w.Code != 400 || !strings.Contains(w.Header().Get("Cache-Control"), "no-store") || w.Header().Get("Ory-Error-Id") != "self_service_flow_return_to_forbidden" {
		t.Fatalf("got %d %v", w.Code, w.Header())
	}
	want := `{"error":{"id":"self_service_flow_return_to_forbidden","code":400,"status":"Bad Request","reason":"Requested return_to URL \"https://evil.example/\" is not allowed.","message":"The request was malformed or contained invalid parameters"}}`
	if got := w.Body.String(); got != want {
		t.Errorf("body %s\nwant %s", got, want)
	}
}

func TestErrorWriterBrowserAndGet(t *testing.T) {
	ew := newErrorWriter()
	mux := http.NewServeMux()
	ew.Register(mux)

	w := httptest.NewRecorder()
	ew.Write(w, httptest.NewRequest("GET", "/self-service/settings/browser", nil), ForbiddenReturnTo("https://evil.example/"))
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Cache-Control"), "no-store") {
		t.Fatalf("got %d %v", w.Code, w.Header())
	}
	loc := w.Header().Get("Location")
	prefix := "http://127.0.0.1:4455/error?lang=en&id="
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("Location = %s", loc)
	}
	id := strings.TrimPrefix(loc, prefix)

	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/self-service/errors?id="+id, nil))
	if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "no-store") {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	e, _ := got["error"].(map[string]any)
	if got["id"] != id || e["id"] != "self_service_flow_return_to_forbidden" || e["code"] != 400.0 ||
		got["created_at"] != "2026-11-24T20:00:00Z" || got["updated_at"] != "2026-11-24T20:00:00Z" {
		t.Errorf("stored error = %s", w.Body)
	}

	for _, q := range []string{uuid.NewString(), "not-a-uuid", ""} {
		w = httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", "/self-service/errors?id="+q, nil))
		if w.Code != 404 {
			t.Errorf("id %q: got %d, want 404", q, w.Code)
		}
	}

	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/self-service/errors?id=stub:500", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"code":500`) {
		t.Errorf("stub:500: %d %s", w.Code, w.Body)
	}
}

func TestErrorWriterBrowserRedirectTo(t *testing.T) {
	ew := newErrorWriter()
	w := httptest.NewRecorder()
	target := "http://127.0.0.1:4433/self-service/login/browser?aal=aal2"
	ew.Write(w, httptest.NewRequest("GET", "/", nil), apierr.ErrForbidden.WithID("session_aal2_required").WithRedirect(target))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != target {
		t.Errorf("got %d %s", w.Code, w.Header().Get("Location"))
	}
}

func TestErrorWriterInternalNotLeaked(t *testing.T) {
	ew := newErrorWriter()
	w := httptest.NewRecorder()
	ew.Write(w, httptest.NewRequest("GET", "/", nil), errors.New("database password is hunter2"))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("got %d", w.Code)
	}
	for _, d := range ew.Store.(*memErrors).m {
		if strings.Contains(string(d), "hunter2") || !strings.Contains(string(d), `"code":500`) {
			t.Errorf("stored %s", d)
		}
	}
}

func TestAppendQuery(t *testing.T) {
	tests := []struct{ base, want string }{
		{"http://h/login", "http://h/login?flow=a+b"},
		{"http://h/login?lang=de", "http://h/login?lang=de&flow=a+b"},
		{"http://h/login?", "http://h/login?flow=a+b"},
		{"http://h/login#top", "http://h/login?flow=a+b#top"},
		{"http://h/login?x=1#top", "http://h/login?x=1&flow=a+b#top"},
	}
	for _, tt := range tests {
		if got := AppendQuery(tt.base, "flow", "a b"); got != tt.want {
			t.Errorf("AppendQuery(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
}

func TestRedirect(t *testing.T) {
	w := httptest.NewRecorder()
	Redirect(w, httptest.NewRequest("GET", "/", nil), "http://h/x?flow=1")
	if w.Code != 303 || w.Header().Get("Location") != "http://h/x?flow=1" || !strings.Contains(w.Header().Get("Cache-Control"), "no-store") {
		t.Errorf("got %d %v", w.Code, w.Header())
	}
}
