package urlsource

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("remote body"))
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "doc.txt")
	if err := os.WriteFile(path, []byte("file body"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		raw, want string
		max       int64
		err       bool
	}{
		{raw: "base64://Ym9keQ==", want: "body", max: 10},
		{raw: "base64://Ym9keQ", want: "body", max: 10},
		{raw: "base64://!!", max: 10, err: true},
		{raw: "base64://Ym9keQ==", max: 3, err: true},
		{raw: "file://" + path, want: "file body", max: 100},
		{raw: path, want: "file body", max: 100},
		{raw: "file://" + path, max: 4, err: true},
		{raw: "file:///nonexistent/x", max: 100, err: true},
		{raw: srv.URL + "/doc", want: "remote body", max: 100},
		{raw: srv.URL + "/doc", max: 5, err: true},
		{raw: srv.URL + "/missing", max: 100, err: true},
	} {
		got, err := Read(t.Context(), tc.raw, nil, tc.max)
		if (err != nil) != tc.err || string(got) != tc.want {
			t.Errorf("Read(%q, %d) = %q, %v", tc.raw, tc.max, got, err)
		}
	}
	if _, err := Read(t.Context(), "base64://Ym9keQ==", nil, 3); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the bound: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"base64://c2VjcmV0":                        "base64://…",
		"https://user:pw@host.test/t.gotmpl?key=k": "https://host.test/t.gotmpl",
		"file:///etc/x":                            "file:///etc/x",
	} {
		if got := Redact(raw); got != want || strings.Contains(got, "pw") {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}
