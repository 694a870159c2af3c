package settings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
)

// BenchmarkUpdateProfile measures POST /self-service/settings?flow= with the profile method
// from a native app (API flow, session token) on SQLite through the whole server: the
// identity load, the profile change written to the store, and the success reply, which
// carries the fresh flow the next form posts to. Each request changes the name, so every
// iteration writes; "mfa" runs with TOTP and lookup codes on, whose nodes the next flow holds.
func BenchmarkUpdateProfile(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []apptest.Option
	}{
		{"password", nil},
		{"mfa", []apptest.Option{
			apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
			apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"),
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := apptest.Start(b, tc.opts...)
			id := s.CreateIdentity(b, "bench-profile@example.com", password)
			token := s.IssueSession(b, id, session.AAL1)
			target := s.PublicURL("/self-service/settings?flow=" + apiSettingsFlow(b, s.PublicURL("/self-service/settings/api"), token))
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n++
				body, _ := json.Marshal(map[string]any{"method": "profile", "traits": map[string]any{
					"email": "bench-profile@example.com", "name": map[string]any{"first": fmt.Sprintf("Ada-%d", n), "last": "Lovelace"},
				}})
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, target, bytes.NewReader(body))
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Session-Token", token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d: %s", res.StatusCode, out)
				}
			}
		})
	}
}

// apiSettingsFlow creates an API settings flow for the session token and returns its id.
func apiSettingsFlow(b *testing.B, createURL, token string) string {
	b.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, createURL, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Session-Token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var f struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&f); err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("create settings flow: %d %v", res.StatusCode, err)
	}
	return f.ID
}
