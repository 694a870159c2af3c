package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/testdb"
)

// instance is one running `portico serve`.
type instance struct {
	cmd           *exec.Cmd
	public, admin string
	stderr        *bytes.Buffer
	stopped       atomic.Bool
}

// TestSeveralInstancesShareOnePostgres runs three Portico processes on one PostgreSQL
// database: nothing one instance needs may live only in another's memory.
func TestSeveralInstancesShareOnePostgres(t *testing.T) {
	base := os.Getenv("PORTICO_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PORTICO_TEST_POSTGRES_DSN is not set, but CI=true requires the PostgreSQL tests")
		}
		t.Skip("PORTICO_TEST_POSTGRES_DSN not set")
	}
	dsn := testdb.PostgresSchema(t, base)
	bin := binary(t)
	dir := t.TempDir()

	var insts []*instance
	for i := 0; i < 3; i++ {
		pub, adm := freePort(t), freePort(t)
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		// One public base URL for all, as behind a load balancer.
		cfg := writeConfig(t, sub, dsn, fmt.Sprintf(
			"serve:\n  public:\n    host: 127.0.0.1\n    port: %d\n    base_url: http://portico.test/\n  admin:\n    host: 127.0.0.1\n    port: %d\nhashers:\n  algorithm: bcrypt\n  bcrypt:\n    cost: 4\nlog:\n  level: error\n", pub, adm))
		if i == 0 {
			if out, err := exec.Command(bin, "migrate", "up", "-c", cfg).CombinedOutput(); err != nil {
				t.Fatalf("migrate: %v\n%s", err, out)
			}
		}
		insts = append(insts, startInstance(t, bin, cfg, pub, adm))
	}
	a, b, c := insts[0], insts[1], insts[2]
	cl := &http.Client{Timeout: 10 * time.Second}

	// An identity, created on A.
	email := "cluster@example.com"
	res, body := call(t, cl, "POST", a.admin+"/admin/identities", map[string]any{
		"schema_id": "default", "traits": map[string]any{"email": email},
		"credentials": map[string]any{"password": map[string]any{"config": map[string]any{"password": "a cluster passphrase"}}},
	}, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create identity: %d %s", res.StatusCode, body)
	}

	// A login flow made on A is fetched and completed on B.
	res, body = call(t, cl, "GET", a.public+"/self-service/login/api", nil, nil)
	flowID := jsonField(t, body, "id")
	if res, body = call(t, cl, "GET", b.public+"/self-service/login/flows?id="+flowID, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("flow from A fetched on B: %d %s", res.StatusCode, body)
	}
	res, body = call(t, cl, "POST", b.public+"/self-service/login?flow="+flowID,
		map[string]any{"method": "password", "identifier": email, "password": "a cluster passphrase"}, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login on B: %d %s", res.StatusCode, body)
	}
	token := jsonField(t, body, "session_token")
	tok := http.Header{"X-Session-Token": {token}}

	// The session made on B is valid on C, and on A.
	for _, in := range []*instance{a, c} {
		if res, body = call(t, cl, "GET", in.public+"/sessions/whoami", nil, tok); res.StatusCode != http.StatusOK {
			t.Fatalf("whoami on %s: %d %s", in.public, res.StatusCode, body)
		}
	}
	// A settings flow made on C is updated on A.
	_, body = call(t, cl, "GET", c.public+"/self-service/settings/api", nil, tok)
	sid := jsonField(t, body, "id")
	res, body = call(t, cl, "POST", a.public+"/self-service/settings?flow="+sid,
		map[string]any{"method": "profile", "traits": map[string]any{"email": email, "name": map[string]any{"first": "Grace"}}}, tok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("settings update on A of C's flow: %d %s", res.StatusCode, body)
	}

	// Revoked on A: refused everywhere at once.
	if res, body = call(t, cl, "DELETE", a.public+"/self-service/logout/api", map[string]any{"session_token": token}, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout on A: %d %s", res.StatusCode, body)
	}
	for _, in := range insts {
		if res, _ = call(t, cl, "GET", in.public+"/sessions/whoami", nil, tok); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("revoked session still valid on %s: %d", in.public, res.StatusCode)
		}
	}

	// Under load, A is killed: B and C keep answering with no 5xx, and every identity whose
	// creation was acknowledged exists afterwards.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	var (
		mu      sync.Mutex
		created []string
		fiveXX  atomic.Int64
		served  atomic.Int64
		wg      sync.WaitGroup
	)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ctx.Err() == nil && n < 10_000; n++ {
				in := insts[(w+n)%3]
				if in.stopped.Load() {
					continue // the load balancer has taken it out
				}
				b, _ := json.Marshal(map[string]any{"schema_id": "default", "traits": map[string]any{"email": fmt.Sprintf("w%d-%d@example.com", w, n)}})
				req, _ := http.NewRequestWithContext(ctx, "POST", in.admin+"/admin/identities", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				res, err := cl.Do(req)
				if err != nil {
					continue // a connection to the killed instance; a load balancer retries elsewhere
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				served.Add(1)
				if res.StatusCode >= 500 {
					fiveXX.Add(1)
					t.Errorf("%s answered %d: %s", in.admin, res.StatusCode, body)
				}
				if res.StatusCode == http.StatusCreated {
					var out struct{ ID string }
					_ = json.Unmarshal(body, &out)
					mu.Lock()
					created = append(created, out.ID)
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(2 * time.Second)
	a.stopped.Store(true)
	_ = a.cmd.Process.Kill()
	wg.Wait()
	if fiveXX.Load() != 0 {
		t.Fatalf("%d of %d replies were 5xx", fiveXX.Load(), served.Load())
	}
	if len(created) < 20 {
		t.Fatalf("only %d identities created under load", len(created))
	}
	for _, id := range created {
		if res, body = call(t, cl, "GET", c.admin+"/admin/identities/"+id, nil, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("acknowledged identity %s is missing: %d %s", id, res.StatusCode, body)
		}
	}
	t.Logf("%d requests served, %d identities created and all found after killing one instance", served.Load(), len(created))
}

func startInstance(t *testing.T, bin, cfg string, pub, adm int) *instance {
	t.Helper()
	in := &instance{
		public: fmt.Sprintf("http://127.0.0.1:%d", pub),
		admin:  fmt.Sprintf("http://127.0.0.1:%d", adm),
		stderr: &bytes.Buffer{},
	}
	in.cmd = exec.Command(bin, "serve", "-c", cfg)
	in.cmd.Stderr = in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.cmd.Process.Kill(); _ = in.cmd.Wait() })
	for i := 0; i < 100; i++ {
		res, err := http.Get(in.public + "/health/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return in
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("instance on %d never became ready:\n%s", pub, in.stderr.String())
	return nil
}

func call(t *testing.T, cl *http.Client, method, target string, body any, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func jsonField(t *testing.T, body []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	v, _ := m[key].(string)
	if v == "" {
		t.Fatalf("no %q in %s", key, strings.TrimSpace(string(body)))
	}
	return v
}
