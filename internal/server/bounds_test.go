package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// wantBadRequest asserts Kratos's error JSON with status 400.
func wantBadRequest(t *testing.T, what string, r *apptest.Response) {
	t.Helper()
	if r.StatusCode != http.StatusBadRequest {
		t.Errorf("%s: %d %.300s (want 400)", what, r.StatusCode, r.Body)
		return
	}
	var e struct {
		Error struct {
			Code    int    `json:"code"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Code != 400 || e.Error.Status == "" || e.Error.Message == "" {
		t.Errorf("%s: not Kratos's error JSON: %.300s", what, r.Body)
	}
}

// TestDottedFieldNameCannotCrash: issue 11 finding 1. A form field named "traits" followed by
// 800,000 dots used to nest that deep and overflow the stack in json.Marshal, killing the
// process. Now it is a 400 before anything is built.
func TestDottedFieldNameCannotCrash(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	var f struct{ ID string }
	app.Get(s.PublicURL("/self-service/registration/api")).JSON(t, &f)
	body := "method=password&password=a+sturdy+passphrase&traits" + strings.Repeat(".", 800_000) + "=x"
	r := app.Do("POST", s.PublicURL("/self-service/registration?flow="+f.ID), strings.NewReader(body),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	wantBadRequest(t, "registration with a deeply dotted field", r)

	// The settings decoder (a second one, with its own nesting) holds the same bound.
	email, pw := "dotted-settings@example.com", "a sturdy passphrase"
	s.CreateIdentity(t, email, pw)
	owner := s.Native(t)
	owner.Header.Set("X-Session-Token", s.LoginNative(t, email, pw))
	var sf struct{ ID string }
	owner.Get(s.PublicURL("/self-service/settings/api")).JSON(t, &sf)
	r = owner.Do("POST", s.PublicURL("/self-service/settings?flow="+sf.ID),
		strings.NewReader("method=profile&traits.email="+email+"&traits"+strings.Repeat(".", 800_000)+"=x"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	wantBadRequest(t, "settings with a deeply dotted field", r)

	// The same for a browser: the error page, not a crash.
	b := s.Browser(t)
	id, csrf := s.BrowserFlow(t, b, "registration")
	r = b.Do("POST", s.PublicURL("/self-service/registration?flow="+id),
		strings.NewReader("csrf_token="+csrf+"&"+body),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/ui/error?id=") {
		t.Errorf("browser registration with a deeply dotted field: %d %s (want 303 to the error page)", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestDottedBodyAllocatesLittle: a 1 MB login body of dotted names used to grow the heap by
// ~350 MB (one map per dot). Bytes allocated by the whole process while the request is served
// (an upper bound of the heap growth) must stay a small multiple of the body.
func TestDottedBodyAllocatesLittle(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	var f struct{ ID string }
	app.Get(s.PublicURL("/self-service/login/api")).JSON(t, &f)
	var sb strings.Builder
	sb.WriteString("method=password&identifier=a")
	for i := 0; sb.Len() < 1<<20-2000; i++ {
		sb.WriteString("&a" + itoa(i) + strings.Repeat(".b", 400) + "=1")
	}
	sb.WriteString("&traits" + strings.Repeat(".", 100) + "=x")
	body := sb.String()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := app.Do("POST", s.PublicURL("/self-service/login?flow="+f.ID), strings.NewReader(body),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	runtime.ReadMemStats(&after)
	wantBadRequest(t, "1 MB dotted login body", r)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("1 MB dotted body: %.1f MB allocated while serving, heap in use %+.1f MB",
		float64(alloc)/(1<<20), (float64(after.HeapInuse)-float64(before.HeapInuse))/(1<<20))
	if alloc > 24<<20 {
		t.Errorf("a 1 MB dotted body allocated %.1f MB (bound 24 MB)", float64(alloc)/(1<<20))
	}

	// A single field of one million dots: the same bound.
	body = "method=password&identifier" + strings.Repeat(".", 1<<20-100) + "=x"
	runtime.GC()
	runtime.ReadMemStats(&before)
	r = app.Do("POST", s.PublicURL("/self-service/login?flow="+f.ID), strings.NewReader(body),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	runtime.ReadMemStats(&after)
	wantBadRequest(t, "one field of a million dots", r)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 24<<20 {
		t.Errorf("one field of a million dots allocated %.1f MB (bound 24 MB)", float64(alloc)/(1<<20))
	}
}

// TestJSONBodiesAreBounded: JSON bodies on public and admin routes are held to the same limits
// (depth, keys, string length, valid UTF-8 without NUL) before they are decoded; the admin
// identity API used to store all of these.
func TestJSONBodiesAreBounded(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 2000) + `1` + strings.Repeat(`}`, 2000)
	var wide strings.Builder
	wide.WriteString(`{`)
	for i := 0; i < 5000; i++ {
		if i > 0 {
			wide.WriteString(",")
		}
		wide.WriteString(`"k` + itoa(i) + `":1`)
	}
	wide.WriteString(`}`)
	long := `"` + strings.Repeat("x", 300_000) + `"`
	cases := map[string]string{
		"deep metadata":          `{"schema_id":"default","traits":{"email":"deep@example.com"},"metadata_public":` + deep + `}`,
		"wide metadata":          `{"schema_id":"default","traits":{"email":"wide@example.com"},"metadata_admin":` + wide.String() + `}`,
		"long string":            `{"schema_id":"default","traits":{"email":"long@example.com"},"metadata_admin":{"blob":` + long + `}}`,
		"escaped NUL":            `{"schema_id":"default","traits":{"email":"nul@example.com","name":{"first":"a\u0000b"}}}`,
		"invalid UTF-8":          "{\"schema_id\":\"default\",\"traits\":{\"email\":\"utf@example.com\",\"name\":{\"first\":\"a\xff\xfeb\"}}}",
		"lone surrogate":         `{"schema_id":"default","traits":{"email":"sur@example.com","name":{"first":"a\udc00b"}}}`,
		"invalid UTF-8 metadata": "{\"schema_id\":\"default\",\"traits\":{\"email\":\"utf2@example.com\"},\"metadata_public\":{\"x\":\"\xc3\x28\"}}",
	}
	for backend, dsn := range testBackends(t) {
		t.Run(backend, func(t *testing.T) {
			s := apptest.Start(t, apptest.WithDSN(dsn))
			c := s.Native(t)
			for name, body := range cases {
				r := c.Do("POST", s.AdminURL("/admin/identities"), strings.NewReader(body), http.Header{"Content-Type": {"application/json"}})
				wantBadRequest(t, "admin create, "+name, r)
			}
			// Public: a registration whose traits carry a NUL.
			var f struct{ ID string }
			c.Get(s.PublicURL("/self-service/registration/api")).JSON(t, &f)
			r := c.Do("POST", s.PublicURL("/self-service/registration?flow="+f.ID),
				strings.NewReader(`{"method":"password","password":"a sturdy passphrase","traits":{"email":"reg@example.com","name":{"first":"a\u0000"}}}`),
				http.Header{"Content-Type": {"application/json"}})
			wantBadRequest(t, "registration with a NUL in traits", r)
			// Forms too: NUL and invalid UTF-8 in names and values.
			for name, body := range map[string]string{
				"NUL value":         "method=password&password=a+sturdy+passphrase&traits.email=f%00@example.com",
				"invalid UTF-8 key": "method=password&password=a+sturdy+passphrase&traits.email=f@example.com&traits.%ff=1",
			} {
				c.Get(s.PublicURL("/self-service/registration/api")).JSON(t, &f)
				r := c.Do("POST", s.PublicURL("/self-service/registration?flow="+f.ID), strings.NewReader(body),
					http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
				wantBadRequest(t, "registration form, "+name, r)
			}
		})
	}
}

// TestHostileQueryParameters: issue 11 finding 12. NUL and invalid UTF-8 in query parameters
// used to reach PostgreSQL (500); they are refused at the edge on every backend.
func TestHostileQueryParameters(t *testing.T) {
	for backend, dsn := range testBackends(t) {
		t.Run(backend, func(t *testing.T) {
			s := apptest.Start(t, apptest.WithDSN(dsn))
			c := s.Native(t)
			for _, q := range []string{"credentials_identifier=%00", "credentials_identifier=%ff%fe", "page_token=%00", "%00=1"} {
				wantBadRequest(t, "admin list ?"+q, c.Get(s.AdminURL("/admin/identities?"+q)))
			}
			wantBadRequest(t, "public ?id=%00", c.Get(s.PublicURL("/self-service/errors?id=%00")))
			// A browser is sent to the error page instead.
			b := s.Browser(t)
			r := b.Get(s.PublicURL("/self-service/login/browser?return_to=%c3%28"))
			if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/ui/error?id=") {
				t.Errorf("browser with invalid UTF-8 in return_to: %d %s (want 303 to the error page)", r.StatusCode, r.Header.Get("Location"))
			}
		})
	}
}

// TestJSONPatchIsBounded: issue 11 finding 11. Every "copy" doubled the identity (2.2 KB of
// patch gave a 66 MB reply); copies are limited by the size they add and patches by their
// number of operations.
func TestJSONPatchIsBounded(t *testing.T) {
	s := apptest.Start(t)
	ident := s.CreateIdentity(t, "patch-bomb@example.com", "")
	c := s.Native(t)
	ops := []string{`{"op":"add","path":"/metadata_admin","value":{"a":"` + strings.Repeat("x", 1000) + `"}}`}
	for i := 0; i < 14; i++ {
		ops = append(ops, `{"op":"copy","from":"/metadata_admin","path":"/metadata_admin/a`+itoa(i)+`"}`)
	}
	body := "[" + strings.Join(ops, ",") + "]"
	r := c.Do("PATCH", s.AdminURL("/admin/identities/"+ident.ID.String()), strings.NewReader(body), http.Header{"Content-Type": {"application/json"}})
	if len(r.Body) > 1<<20 {
		t.Fatalf("a %d-byte patch produced a %d-byte reply", len(body), len(r.Body))
	}
	wantBadRequest(t, "copy bomb", r)

	var many []string
	for i := 0; i < 150; i++ {
		many = append(many, `{"op":"test","path":"/schema_id","value":"default"}`)
	}
	r = c.Do("PATCH", s.AdminURL("/admin/identities/"+ident.ID.String()), strings.NewReader("["+strings.Join(many, ",")+"]"), http.Header{"Content-Type": {"application/json"}})
	wantBadRequest(t, "150 operations", r)

	// An ordinary patch still works.
	r = c.Do("PATCH", s.AdminURL("/admin/identities/"+ident.ID.String()),
		bytes.NewReader([]byte(`[{"op":"add","path":"/metadata_public","value":{"plan":"pro"}},{"op":"copy","from":"/metadata_public","path":"/metadata_admin"}]`)),
		http.Header{"Content-Type": {"application/json"}})
	if r.StatusCode != http.StatusOK {
		t.Errorf("ordinary patch: %d %s", r.StatusCode, r.Body)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
