package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

func TestSettingsFloor(t *testing.T) {
	ctx := context.Background()
	d, err := openDB(ctx, filepath.Join(t.TempDir(), "floor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	if err := d.seed(ctx, 3, now); err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(d, "http://127.0.0.1:4455", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"cookie", http.Header{"Cookie": {"ory_kratos_session=floor-token-2"}}, http.StatusOK},
		{"token header", http.Header{"X-Session-Token": {"floor-token-0"}}, http.StatusOK},
		{"unknown token", http.Header{"Cookie": {"ory_kratos_session=floor-token-3"}}, http.StatusUnauthorized},
		{"no session", nil, http.StatusUnauthorized},
	}
	flows := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/self-service/settings/browser", nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.want, body)
			}
			if tt.want != http.StatusOK {
				return
			}
			flows++
			if len(body) < 5500 || len(body) > 7000 {
				t.Errorf("reply is %d bytes, want about 6 KB", len(body))
			}
			var f struct {
				ID       string `json:"id"`
				Identity struct {
					Traits struct{ Email string } `json:"traits"`
				} `json:"identity"`
			}
			if err := json.Unmarshal(body, &f); err != nil || f.ID == "" || f.Identity.Traits.Email == "" {
				t.Errorf("reply %s: %v", body[:200], err)
			}
			var n int
			if err := d.r.QueryRow("SELECT count(*) FROM flows WHERE id = ?", f.ID).Scan(&n); err != nil || n != 1 {
				t.Errorf("flow %s stored %d times (%v)", f.ID, n, err)
			}
		})
	}
	// An expired session is a 401 too.
	late, _ := newHandler(d, "http://x", func() time.Time { return now.Add(48 * time.Hour) })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/self-service/settings/browser", nil)
	req.Header.Set("X-Session-Token", "floor-token-1")
	late.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("expired session: %d", rec.Code)
	}
}
