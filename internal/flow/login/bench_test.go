package login_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
)

// loginClients is how many clients sign in at once (issue 13: 16).
const loginClients = 16

// BenchmarkPasswordLogin measures API password logins (create the login flow, submit the
// password) through HTTP on a SQLite file, by 16 concurrent clients, each its own identity so
// that no throttle triggers, with the production hashers (bcrypt cost 12; argon2 defaults).
// Password logins are bound by the hash: next to logins/s it reports hashes/s, what the
// server's own hasher (with its concurrency limit) does alone at GOMAXPROCS parallelism in
// the same run, and their ratio, which the issue asks to be at least 0.9. Any reply other
// than 200 (a 429 or a 503 included) fails the benchmark. Run it with enough iterations for
// the figures to mean something, e.g. -benchtime 64x.
//
// With PORTICO_TEST_POSTGRES_DSN set, the same runs on PostgreSQL ("postgres/…"; the
// identities get fresh addresses each run, as the database is shared).
func BenchmarkPasswordLogin(b *testing.B) {
	backends := []string{"sqlite"}
	if os.Getenv("PORTICO_TEST_POSTGRES_DSN") != "" {
		backends = append(backends, "postgres")
	}
	for _, backend := range backends {
		for _, alg := range []string{hash.AlgorithmBcrypt, hash.AlgorithmArgon2} {
			b.Run(backend+"/"+alg, func(b *testing.B) { benchmarkPasswordLogin(b, backend, alg) })
		}
	}
}

func benchmarkPasswordLogin(b *testing.B, backend, alg string) {
	dsn := "sqlite://" + filepath.Join(b.TempDir(), "portico.db")
	if backend == "postgres" {
		dsn = os.Getenv("PORTICO_TEST_POSTGRES_DSN")
	}
	s := apptest.Start(b,
		apptest.WithDSN(dsn),
		apptest.WithEnv("HASHERS_ALGORITHM", alg),
		apptest.WithEnv("HASHERS_BCRYPT_COST", "12"))
	const pw = "a-long-bench-password-1"
	ctx := context.Background()
	hashed, err := s.App.Hasher.Hash(ctx, []byte(pw))
	if err != nil {
		b.Fatal(err)
	}
	run := uuid.NewString()
	emails := make([]string, loginClients)
	for i := range emails {
		emails[i] = fmt.Sprintf("bench-login-%d-%s@example.com", i, run)
		id := &identity.Identity{Traits: json.RawMessage(fmt.Sprintf(`{"email":%q}`, emails[i]))}
		if err := s.App.Identities.Create(ctx, id, identity.CreateOptions{HashedPassword: hashed}); err != nil {
			b.Fatal(err)
		}
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loginClients}, Timeout: time.Minute}
	var failures atomic.Int64
	login := func(email string) {
		if err := passwordLogin(hc, s, email, pw); err != nil {
			if failures.Add(1) == 1 {
				b.Error(err)
			}
		}
	}

	// The hasher alone, as many compares as there will be logins: half before the
	// logins and half after, so that a change in the machine's load during the run
	// weighs on both figures alike.
	compare := func(int) {
		if err := s.App.Hasher.Compare(ctx, []byte(pw), hashed); err != nil {
			failures.Add(1)
		}
	}
	before := runConcurrently(runtime.GOMAXPROCS(0), b.N/2, compare)

	b.ReportAllocs()
	b.ResetTimer()
	logins := runConcurrently(loginClients, b.N, func(w int) { login(emails[w]) })
	b.StopTimer()

	after := runConcurrently(runtime.GOMAXPROCS(0), b.N-b.N/2, compare)
	hashTime := before + after
	hashRate, loginRate := float64(b.N)/hashTime.Seconds(), float64(b.N)/logins.Seconds()
	b.ReportMetric(loginRate, "logins/s")
	b.ReportMetric(hashRate, "hashes/s")
	b.ReportMetric(loginRate/hashRate, "ratio")
	b.ReportMetric(float64(failures.Load()), "errors")
}

// runConcurrently runs n calls of f over workers goroutines (f gets the worker's number) and
// returns how long they took.
func runConcurrently(workers, n int, f func(worker int)) time.Duration {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				f(w)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// passwordLogin creates an API login flow and signs in with the password.
func passwordLogin(hc *http.Client, s *apptest.Server, email, pw string) error {
	req, _ := http.NewRequest(http.MethodGet, s.PublicURL("/self-service/login/api"), nil)
	req.Header.Set("Accept", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	var f struct{ ID string }
	err = json.NewDecoder(res.Body).Decode(&f)
	_ = res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		return fmt.Errorf("create login flow: %d %v", res.StatusCode, err)
	}
	body, _ := json.Marshal(map[string]string{"method": "password", "identifier": email, "password": pw})
	req, _ = http.NewRequest(http.MethodPost, s.PublicURL("/self-service/login?flow="+f.ID), bytes.NewReader(body))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	res, err = hc.Do(req)
	if err != nil {
		return err
	}
	out, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("login %s: %d %s", email, res.StatusCode, out)
	}
	return nil
}
