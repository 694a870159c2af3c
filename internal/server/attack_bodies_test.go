package server_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"net/http"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/webauthn"
)

// computedRoutes are the route patterns registered with a computed (non-literal) pattern,
// keyed by file name and the pattern expression. routeTable fails on any other computed
// pattern, so a new route cannot escape the attack suite: add what it expands to here.
var computedRoutes = map[string][]string{
	`health.go: "GET " + prefix + "/health/alive"`: {"GET /health/alive", "GET /admin/health/alive"},
	`health.go: "GET " + prefix + "/health/ready"`: {"GET /health/ready", "GET /admin/health/ready"},
	`health.go: "GET " + prefix + "/version"`:      {"GET /version", "GET /admin/version"},
	`script.go: "GET " + ScriptPath`:               {"GET " + webauthn.ScriptPath},
	`handler.go: "GET /ui/" + k.name`:              {"GET /ui/login", "GET /ui/registration", "GET /ui/settings", "GET /ui/verification", "GET /ui/recovery"},
	// The verification and recovery flows' routes (onetime.Exchange.Mount).
	`exchange.go: "GET " + path + "/browser"`: {"GET /self-service/verification/browser", "GET /self-service/recovery/browser"},
	`exchange.go: "GET " + path + "/api"`:     {"GET /self-service/verification/api", "GET /self-service/recovery/api"},
	`exchange.go: "GET " + path + "/flows"`:   {"GET /self-service/verification/flows", "GET /self-service/recovery/flows"},
	`exchange.go: "POST " + path`:             {"POST /self-service/verification", "POST /self-service/recovery"},
	`exchange.go: "GET " + path`:              {"GET /self-service/verification", "GET /self-service/recovery"},
	// The public routes the admin listener sends on with 307 (redirect.go's publicOnAdmin).
	`redirect.go: p`: {"GET /self-service/", "POST /self-service/", "GET /schemas", "GET /schemas/{id}",
		"GET /sessions/whoami", "POST /sessions/whoami", "PUT /sessions/whoami"},
	`redirect.go: method + " /admin" + route`: {"GET /admin/self-service/", "POST /admin/self-service/", "GET /admin/schemas",
		"GET /admin/schemas/{id}", "GET /admin/sessions/whoami", "POST /admin/sessions/whoami", "PUT /admin/sessions/whoami"},
}

// notServed are source files whose routes `serve` does not mount by default: the profiler
// exists only with --pprof, and its profile and trace handlers run for seconds by design;
// testprovider.go is the OpenID provider the oidc tests run (internal/method/oidc/oidctest).
var notServed = map[string]bool{"pprof.go": true, "testprovider.go": true}

// routeTable reads every route pattern registered with Handle or HandleFunc in the non-test
// sources under internal/.
func routeTable(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || notServed[d.Name()] {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				p, _ := strconv.Unquote(lit.Value)
				seen[p] = true
				return true
			}
			key := d.Name() + ": " + types.ExprString(call.Args[0])
			ps, ok := computedRoutes[key]
			if !ok {
				t.Errorf("%s: route pattern %s is computed; add what it expands to to computedRoutes", fset.Position(call.Pos()), key)
			}
			for _, p := range ps {
				seen[p] = true
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// hostileBody is one attack body, sent with its content type.
type hostileBody struct {
	name, ctype string
	body        []byte
}

func hostileBodies() []hostileBody {
	deep := `{"method":"password","traits":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000) + `}`
	var wide bytes.Buffer
	wide.WriteString(`{"method":"password"`)
	for i := 0; i < 100_000; i++ {
		wide.WriteString(`,"` + strconv.FormatInt(int64(i), 36) + `":0`)
	}
	wide.WriteString(`}`)
	var wideForm bytes.Buffer
	wideForm.WriteString("method=password")
	for i := 0; i < 9_000; i++ { // under net/url's 10,000 parameters, so the form is parsed
		wideForm.WriteString("&traits.f" + strconv.Itoa(i) + "=1")
	}
	long := strings.Repeat("x", 900_000)
	return []hostileBody{
		{"deep json", "application/json", []byte(deep)},
		{"deep form", "application/x-www-form-urlencoded", []byte("method=password&traits" + strings.Repeat(".a", 10000) + "=1")},
		{"dotted form", "application/x-www-form-urlencoded", []byte("method=password&traits" + strings.Repeat(".", 800_000) + "=x")},
		{"dotted multipart", "multipart/form-data; boundary=XyZ", []byte("--XyZ\r\nContent-Disposition: form-data; name=\"method\"\r\n\r\npassword\r\n" +
			"--XyZ\r\nContent-Disposition: form-data; name=\"traits" + strings.Repeat(".", 500_000) + "\"\r\n\r\nx\r\n--XyZ--\r\n")},
		{"wide json", "application/json", wide.Bytes()},
		{"wide form", "application/x-www-form-urlencoded", wideForm.Bytes()},
		{"long json", "application/json", []byte(`{"method":"password","password":"` + long + `","traits":{"email":"` + long[:50_000] + `"}}`)},
		{"long form", "application/x-www-form-urlencoded", []byte("method=password&password=" + long)},
		{"invalid UTF-8 json", "application/json", []byte("{\"method\":\"password\",\"schema_id\":\"default\",\"identifier\":\"\xff\xfe\"," +
			"\"traits\":{\"email\":\"utf8-attack@example.com\",\"name\":{\"first\":\"\xc3\x28\"}},\"metadata_public\":{\"x\":\"\xff\"}}")},
		// Shaped as an identity, so that the admin API (which refuses unknown fields) reads them.
		{"invalid UTF-8 identity", "application/json", []byte("{\"schema_id\":\"default\",\"traits\":{\"email\":\"utf8-identity@example.com\"," +
			"\"name\":{\"first\":\"\xc3\x28\"}},\"metadata_public\":{\"x\":\"\xff\"},\"state\":\"active\"}")},
		{"NUL identity", "application/json", []byte(`{"schema_id":"default","traits":{"email":"nul-identity@example.com",` +
			`"name":{"first":"a\u0000b"}},"metadata_public":{"x":"\u0000"},"state":"active"}`)},
		{"invalid UTF-8 form", "application/x-www-form-urlencoded", []byte("method=password&identifier=%ff%fe&traits.email=\xc3\x28&%ff=1")},
		{"NUL json", "application/json", []byte(`{"method":"password","schema_id":"default","identifier":"a\u0000b",` +
			`"traits":{"email":"nul-attack@example.com","name":{"first":"a\u0000b"}},"metadata_public":{"x":"\u0000"}}`)},
		{"NUL form", "application/x-www-form-urlencoded", []byte("method=password&identifier=a%00b&traits.email=a%00b&schema_id=%00")},
		{"patch copy bomb", "application/json", []byte(`[{"op":"add","path":"/metadata_admin","value":{"a":"` + strings.Repeat("x", 1000) + `"}}` +
			strings.Repeat(`,{"op":"copy","from":"/metadata_admin","path":"/metadata_admin/b"}`, 40) + `]`)},
	}
}

// hostileQueries are appended to every route's URL.
var hostileQueries = []string{"flow=%00&id=%00", "flow=%ff%fe&id=%c3%28", "return_to=%00", "%00=1",
	"credentials_identifier=%00", "credentials_identifier=%ff%fe", "page_token=%ff"}

// TestAttackEveryRoute is the attack suite of issue 11: every route registered on either
// listener gets deep, wide, long, invalid-UTF-8 and NUL bodies as JSON and as forms, and
// hostile query parameters; nothing may answer 5xx or crash, and the heap stays bounded. It
// runs on SQLite, and on PostgreSQL and MariaDB when their DSN variables are set.
func TestAttackEveryRoute(t *testing.T) {
	if testing.Short() {
		t.Skip("attack suite skipped in -short mode")
	}
	routes := routeTable(t)
	if len(routes) < 40 {
		t.Fatalf("only %d routes found: is the source scan broken?", len(routes))
	}
	bodies := hostileBodies()
	for backend, dsn := range testBackends(t) {
		t.Run(backend, func(t *testing.T) {
			s := apptest.Start(t, append(withOIDC(), apptest.WithDSN(dsn),
				apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
				apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"),
				apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true"),
				apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true"))...)
			attackRoutes(t, s, routes, bodies)
		})
	}
}

func attackRoutes(t *testing.T, s *apptest.Server, routes []string, bodies []hostileBody) {
	email, pw := "attack@example.com", "a sturdy passphrase for the attack"
	ident := s.CreateIdentity(t, email, pw)
	token := s.LoginNative(t, email, pw)
	var sess struct{ ID string }
	app := s.Native(t)
	app.Header.Set("X-Session-Token", token)
	app.Get(s.PublicURL("/sessions/whoami")).JSON(t, &sess)
	flowID := func(c *apptest.Client, path string) string {
		var f struct{ ID string }
		c.Get(s.PublicURL(path)).JSON(t, &f)
		return f.ID
	}
	flows := map[string]string{
		"login":        flowID(s.Native(t), "/self-service/login/api"),
		"registration": flowID(s.Native(t), "/self-service/registration/api"),
		"settings":     flowID(app, "/self-service/settings/api"),
		"verification": flowID(s.Native(t), "/self-service/verification/api"),
		"recovery":     flowID(s.Native(t), "/self-service/recovery/api"),
	}
	concrete := func(pattern string) (method, path string) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		switch {
		case strings.HasPrefix(path, "/admin/identities/{id}"):
			path = strings.Replace(path, "{id}", ident.ID.String(), 1)
		case strings.Contains(path, "/schemas/{id}"):
			path = strings.Replace(path, "{id}", "ZGVmYXVsdA", 1)
		default:
			path = strings.Replace(path, "{id}", sess.ID, 1)
		}
		path = strings.NewReplacer("{type}", "password", "{provider}", "corp", "{$}", "").Replace(path)
		if strings.HasSuffix(path, "/") && path != "/ui/" {
			path += "x"
		}
		return method, path
	}
	flowFor := func(path string) string {
		for k, id := range flows {
			if strings.Contains(path, "/"+k) {
				return id
			}
		}
		return flows["login"]
	}

	type job struct {
		method, url, ctype string
		body               []byte
		what               string
	}
	var jobs []job
	for _, pattern := range routes {
		method, path := concrete(pattern)
		methods := []string{method}
		if method == "" {
			methods = []string{"GET", "POST"}
		}
		for _, base := range []func(string) string{s.PublicURL, s.AdminURL} {
			for _, m := range methods {
				u := base(path) + "?flow=" + flowFor(path) + "&id=" + flowFor(path)
				for _, b := range bodies {
					jobs = append(jobs, job{m, u, b.ctype, b.body, pattern + " " + b.name})
				}
				for _, q := range hostileQueries {
					jobs = append(jobs, job{m, base(path) + "?" + q, "", nil, pattern + " ?" + q})
				}
				jobs = append(jobs, job{m, base(path) + "%00", "", nil, pattern + " NUL in the path"})
			}
		}
	}

	// The heap is sampled while the attack runs; its peak over the start is the bound.
	var peak atomic.Uint64
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapInuse
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()

	start := time.Now()
	var mu sync.Mutex
	var failures []string
	work := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.Native(t)
			c.Header.Set("X-Session-Token", token)
			for j := range work {
				hdr := http.Header{}
				if j.ctype != "" {
					hdr.Set("Content-Type", j.ctype)
				}
				status, err := attackSend(c.HTTP, j.method, j.url, j.body, c.Header, hdr)
				if err != nil || status >= 500 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s %s: status %d, %v", j.method, j.what, status, err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(stop)
	sampler.Wait()
	growth := int64(peak.Load()) - int64(baseline)
	t.Logf("%d routes, %d requests in %v; peak heap in use %+.1f MB over the start",
		len(routes), len(jobs), time.Since(start).Round(time.Millisecond), float64(growth)/(1<<20))
	sort.Strings(failures)
	for i, f := range failures {
		if i == 30 {
			t.Errorf("… and %d more", len(failures)-30)
			break
		}
		t.Error(f)
	}
	// Four requests of at most 1 MiB in flight: a few MB each, never hundreds.
	if growth > 64<<20 {
		t.Errorf("the heap grew by %.1f MB under attack (bound 64 MB)", float64(growth)/(1<<20))
	}
	if r := s.Native(t).Get(s.PublicURL("/health/alive")); r.StatusCode != http.StatusOK {
		t.Errorf("the server does not answer after the attack: %d", r.StatusCode)
	}

	// Every route was reached (not only the 404 fallback): the metrics count by pattern.
	metrics := string(s.Native(t).Get(s.AdminURL("/admin/metrics/prometheus")).Body)
	for _, pattern := range routes {
		if !strings.Contains(metrics, `route="`+pattern+`"`) {
			t.Errorf("route %q was never reached by the attack", pattern)
		}
	}
}

// attackSend makes one request and reads (and drops) the reply.
func attackSend(c *http.Client, method, url string, body []byte, hdrs ...http.Header) (int, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for _, h := range hdrs {
		for k, v := range h {
			req.Header[k] = v
		}
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = bytes.NewBuffer(nil).ReadFrom(res.Body)
	return res.StatusCode, nil
}
