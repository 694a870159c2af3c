package settings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
)

// BenchmarkUpdateProfile measures POST /self-service/settings?flow= with the profile method
// from a native app (API flow, session token) through the whole server: the identity load,
// the profile change written to the store, and the success reply, which carries the fresh
// flow the next form posts to. Each request changes the name, so every iteration writes.
// "password" and "mfa" (bench/run.sh's MFA config: TOTP, lookup codes, WebAuthn and passkeys
// on, whose nodes the next flow holds) are one client on in-memory SQLite; "file-16" is 16
// clients, each its own identity, on a SQLite file, where every write queues for SQLite's one
// writer.
func BenchmarkUpdateProfile(b *testing.B) {
	mfa := benchMFA()
	for _, tc := range []struct {
		name    string
		opts    []apptest.Option
		file    bool
		clients int
	}{
		{"password", nil, false, 1},
		{"mfa", mfa, false, 1},
		{"file-16", nil, true, 16},
	} {
		b.Run(tc.name, func(b *testing.B) {
			opts := tc.opts
			if tc.file {
				opts = append(opts, apptest.WithDSN("sqlite://"+filepath.Join(b.TempDir(), "portico.db")))
			}
			s := apptest.Start(b, opts...)
			type client struct{ email, token, target string }
			clients := make([]client, tc.clients)
			for i := range clients {
				email := fmt.Sprintf("bench-profile-%d@example.com", i)
				token := s.IssueSession(b, s.CreateIdentity(b, email, password), session.AAL1)
				clients[i] = client{email, token,
					s.PublicURL("/self-service/settings?flow=" + apiSettingsFlow(b, s.PublicURL("/self-service/settings/api"), token))}
			}
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: tc.clients}}
			var n, next atomic.Int64
			update := func(c client) {
				body, _ := json.Marshal(map[string]any{"method": "profile", "traits": map[string]any{
					"email": c.email, "name": map[string]any{"first": fmt.Sprintf("Ada-%d", n.Add(1)), "last": "Lovelace"},
				}})
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.target, bytes.NewReader(body))
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Session-Token", c.token)
				res, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				out, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Errorf("status %d: %s", res.StatusCode, out)
				}
			}
			b.ReportAllocs()
			if tc.clients == 1 {
				for b.Loop() {
					update(clients[0])
				}
				return
			}
			b.SetParallelism((tc.clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := clients[int(next.Add(1)-1)%len(clients)]
				for pb.Next() {
					update(c)
				}
			})
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
