package admin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest/golden"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/kratosexamples"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
)

const testSchema = `{
  "$id": "https://example.test/person.schema.json",
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "traits": {
      "type": "object",
      "properties": {
        "email": {
          "type": "string", "format": "email", "title": "E-Mail", "minLength": 3,
          "ory.sh/kratos": {
            "credentials": {"password": {"identifier": true}},
            "verification": {"via": "email"},
            "recovery": {"via": "email"}
          }
        },
        "name": {
          "type": "object",
          "properties": {"first": {"type": "string"}, "last": {"type": "string"}}
        }
      },
      "required": ["email"],
      "additionalProperties": false
    }
  }
}`

type env struct {
	srv *httptest.Server
	t   *testing.T
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st := sqlstoretest.Memory(t)
	reg, err := schema.NewRegistry(ctx, []schema.Source{
		{ID: "default", URL: "base64://" + base64.StdEncoding.EncodeToString([]byte(testSchema))},
	}, "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 24, 20, 31, 38, 0, time.UTC)
	mgr := identity.NewManager(st, reg, hash.New(hash.Options{BcryptCost: 4}), func() time.Time { return clock })
	public, _ := url.Parse("http://127.0.0.1:4433/")
	mux := http.NewServeMux()
	NewIdentityHandler(mgr, st, reg, public).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{srv: srv, t: t}
}

// do sends a request and decodes the JSON reply (nil for an empty body).
func (e *env) do(method, path, body string) (int, http.Header, any) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			e.t.Fatalf("%s %s: reply is not JSON: %s", method, path, b)
		}
	}
	return resp.StatusCode, resp.Header, v
}

func (e *env) create(email string) map[string]any {
	e.t.Helper()
	code, _, v := e.do("POST", "/admin/identities", fmt.Sprintf(`{"schema_id":"default","traits":{"email":%q},
		"credentials":{"password":{"config":{"password":"correct horse battery"}}}}`, email))
	if code != 201 {
		e.t.Fatalf("create %s: %d %v", email, code, v)
	}
	return v.(map[string]any)
}

func errReason(v any) string {
	m, _ := v.(map[string]any)
	e, _ := m["error"].(map[string]any)
	r, _ := e["reason"].(string)
	return r
}

// shape replaces every value by its JSON type, keeping object keys: two replies with the same
// shape have the same field set and types.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			out[k] = shape(val)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

var (
	uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
)

func normalise(b []byte) []byte {
	b = uuidRe.ReplaceAll(b, []byte("<uuid>"))
	return timeRe.ReplaceAll(b, []byte("<time>"))
}

func TestCreateGolden(t *testing.T) {
	e := newEnv(t)
	code, hdr, v := e.do("POST", "/admin/identities", `{"schema_id":"default",
		"traits":{"email":"A@Example.com","name":{"first":"Ada","last":"Lovelace"}},
		"credentials":{"password":{"config":{"password":"correct horse battery"}}}}`)
	if code != 201 {
		t.Fatalf("status %d: %v", code, v)
	}
	if !strings.HasPrefix(hdr.Get("Location"), "/admin/identities/") {
		t.Fatalf("Location = %q", hdr.Get("Location"))
	}
	var want any
	if err := json.Unmarshal(kratosexamples.Read(t, "admin-create-identity.json"), &want); err != nil {
		t.Fatal(err)
	}
	// The example's traits are the example schema's; compare the rest of the shape.
	got, exp := shape(v).(map[string]any), shape(want).(map[string]any)
	delete(got, "traits")
	delete(exp, "traits")
	if !reflect.DeepEqual(got, exp) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(exp, "", " ")
		t.Fatalf("shape differs from Kratos's\ngot  %s\nwant %s", g, w)
	}
	m := v.(map[string]any)
	if m["schema_url"] != "http://127.0.0.1:4433/schemas/ZGVmYXVsdA" {
		t.Fatalf("schema_url = %v", m["schema_url"])
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	out = normalise(out)
	golden.Bytes(t, "testdata/create.golden.json", append(out, '\n'))
}

func TestCreateErrors(t *testing.T) {
	e := newEnv(t)
	e.create("taken@example.com")
	big := `{"schema_id":"default","traits":{"email":"` + strings.Repeat("a", 2<<20) + `"}}`
	tests := []struct {
		name, body string
		code       int
		reason     string
	}{
		{"unknown field", `{"schema_id":"default","traits":{"email":"x@example.com"},"nope":1}`, 400, "unknown field"},
		{"not json", `{`, 400, ""},
		{"too large", big, 413, ""},
		{"missing traits", `{"schema_id":"default"}`, 400, "traits"},
		{"schema violation", `{"schema_id":"default","traits":{"name":{"first":"A"}}}`, 400, "traits.email"},
		{"bad email", `{"schema_id":"default","traits":{"email":"nope"}}`, 400, "traits.email"},
		{"unknown schema", `{"schema_id":"nope","traits":{"email":"x@example.com"}}`, 400, "nope"},
		{"bad state", `{"schema_id":"default","state":"banned","traits":{"email":"x@example.com"}}`, 400, "state"},
		{"unsupported hash", `{"schema_id":"default","traits":{"email":"x@example.com"},"credentials":{"password":{"config":{"hashed_password":"$md5$abc"}}}}`, 400, "hashed password"},
		{"unsupported credential", `{"schema_id":"default","traits":{"email":"x@example.com"},"credentials":{"totp":{"config":{}}}}`, 400, "totp"},
		{"duplicate", `{"schema_id":"default","traits":{"email":"TAKEN@example.com"},"credentials":{"password":{"config":{"password":"whatever123"}}}}`, 409, "exists already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, v := e.do("POST", "/admin/identities", tt.body)
			if code != tt.code {
				t.Fatalf("status = %d, want %d: %v", code, tt.code, v)
			}
			if !strings.Contains(errReason(v), tt.reason) {
				t.Fatalf("reason %q does not mention %q", errReason(v), tt.reason)
			}
		})
	}
}

func TestCreateImportsHashAndAddresses(t *testing.T) {
	e := newEnv(t)
	h, err := hash.New(hash.Options{BcryptCost: 4}).Hash(context.Background(), []byte("secret-password"))
	if err != nil {
		t.Fatal(err)
	}
	code, _, v := e.do("POST", "/admin/identities", fmt.Sprintf(`{"schema_id":"default","state":"inactive",
		"traits":{"email":"imp@example.com"},"metadata_public":{"a":1},"metadata_admin":{"b":2},
		"verifiable_addresses":[{"value":"imp@example.com","via":"email","verified":true,"status":"completed"}],
		"credentials":{"password":{"config":{"hashed_password":%q}}}}`, h))
	if code != 201 {
		t.Fatalf("status %d: %v", code, v)
	}
	m := v.(map[string]any)
	if m["state"] != "inactive" || m["metadata_admin"] == nil || m["metadata_public"] == nil {
		t.Fatalf("reply = %v", m)
	}
	va := m["verifiable_addresses"].([]any)[0].(map[string]any)
	if va["verified"] != true || va["status"] != "completed" {
		t.Fatalf("imported address not kept: %v", va)
	}
	id := m["id"].(string)
	_, _, got := e.do("GET", "/admin/identities/"+id+"?include_credential=password", "")
	cfg := got.(map[string]any)["credentials"].(map[string]any)["password"].(map[string]any)["config"].(map[string]any)
	if cfg["hashed_password"] != h {
		t.Fatalf("config = %v", cfg)
	}
}

func TestGetAndDelete(t *testing.T) {
	e := newEnv(t)
	id := e.create("get@example.com")["id"].(string)
	tests := []struct {
		name, method, path string
		code               int
	}{
		{"get", "GET", "/admin/identities/" + id, 200},
		{"get unknown", "GET", "/admin/identities/00000000-0000-4000-8000-000000000000", 404},
		{"get malformed", "GET", "/admin/identities/not-a-uuid", 404},
		{"delete malformed", "DELETE", "/admin/identities/nope", 404},
		{"delete", "DELETE", "/admin/identities/" + id, 204},
		{"delete again", "DELETE", "/admin/identities/" + id, 404},
		{"get deleted", "GET", "/admin/identities/" + id, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, v := e.do(tt.method, tt.path, "")
			if code != tt.code {
				t.Fatalf("status = %d, want %d: %v", code, tt.code, v)
			}
			if code == 200 {
				cred := v.(map[string]any)["credentials"].(map[string]any)["password"].(map[string]any)
				if _, ok := cred["config"]; ok {
					t.Fatalf("config shown without include_credential: %v", cred)
				}
			}
			if code >= 400 && v.(map[string]any)["error"] == nil {
				t.Fatalf("not an error reply: %v", v)
			}
		})
	}
}

func TestList(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for _, m := range []string{"l1@example.com", "l2@example.com", "l3@example.com"} {
		ids = append(ids, e.create(m)["id"].(string))
	}
	sort.Strings(ids)

	// Walk the pages through the Link header.
	var seen []string
	next := "/admin/identities?page_size=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
		code, hdr, v := e.do("GET", next, "")
		if code != 200 {
			t.Fatalf("status %d: %v", code, v)
		}
		link := hdr.Get("Link")
		if !strings.Contains(link, `rel="first"`) {
			t.Fatalf("Link = %q", link)
		}
		for _, it := range v.([]any) {
			seen = append(seen, it.(map[string]any)["id"].(string))
		}
		next = ""
		for _, part := range strings.Split(link, ",") {
			if strings.Contains(part, `rel="next"`) {
				next = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(strings.Split(part, ";")[0]), "<"), ">")
			}
		}
	}
	sort.Strings(seen)
	if !reflect.DeepEqual(seen, ids) {
		t.Fatalf("listed %v, want %v", seen, ids)
	}

	tests := []struct {
		name  string
		query string
		code  int
		count int
	}{
		{"default", "", 200, 3},
		{"identifier normalised", "?credentials_identifier=%20L2@EXAMPLE.com", 200, 1},
		{"identifier unknown", "?credentials_identifier=zz@example.com", 200, 0},
		{"ids", "?ids=" + ids[0] + "&ids=" + ids[2], 200, 2},
		{"ids malformed", "?ids=nope", 400, 0},
		{"page size bad", "?page_size=abc", 400, 0},
		{"page size zero", "?page_size=0", 400, 0},
		{"legacy per_page", "?per_page=1", 200, 1},
		{"include credential", "?include_credential=password", 200, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, v := e.do("GET", "/admin/identities"+tt.query, "")
			if code != tt.code {
				t.Fatalf("status = %d, want %d: %v", code, tt.code, v)
			}
			if code == 200 && len(v.([]any)) != tt.count {
				t.Fatalf("got %d identities, want %d", len(v.([]any)), tt.count)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	e := newEnv(t)
	first := e.create("u1@example.com")
	id := first["id"].(string)
	e.create("u2@example.com")
	oldAddr := first["verifiable_addresses"].([]any)[0].(map[string]any)["id"]

	tests := []struct {
		name, path, body string
		code             int
		reason           string
	}{
		{"missing state", "/admin/identities/" + id, `{"schema_id":"default","traits":{"email":"u1@example.com"}}`, 400, "state"},
		{"unknown field", "/admin/identities/" + id, `{"schema_id":"default","state":"active","traits":{"email":"u1@example.com"},"x":1}`, 400, "unknown field"},
		{"unknown identity", "/admin/identities/00000000-0000-4000-8000-000000000000", `{"schema_id":"default","state":"active","traits":{"email":"u1@example.com"}}`, 404, ""},
		{"schema violation", "/admin/identities/" + id, `{"schema_id":"default","state":"active","traits":{"email":"nope"}}`, 400, "traits.email"},
		{"duplicate", "/admin/identities/" + id, `{"schema_id":"default","state":"active","traits":{"email":"u2@example.com"}}`, 409, ""},
		{"same email, metadata", "/admin/identities/" + id, `{"schema_id":"default","state":"inactive","traits":{"email":"u1@example.com","name":{"first":"U"}},"metadata_public":{"k":"v"}}`, 200, ""},
		{"new email and password", "/admin/identities/" + id, `{"schema_id":"default","state":"active","traits":{"email":"U3@example.com"},"credentials":{"password":{"config":{"password":"another password 1"}}}}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, v := e.do("PUT", tt.path, tt.body)
			if code != tt.code {
				t.Fatalf("status = %d, want %d: %v", code, tt.code, v)
			}
			if !strings.Contains(errReason(v), tt.reason) {
				t.Fatalf("reason %q does not mention %q", errReason(v), tt.reason)
			}
			if code != 200 {
				return
			}
			m := v.(map[string]any)
			addr := m["verifiable_addresses"].([]any)[0].(map[string]any)
			cred := m["credentials"].(map[string]any)["password"].(map[string]any)
			email := m["traits"].(map[string]any)["email"].(string)
			if got := cred["identifiers"].([]any)[0]; got != strings.ToLower(email) {
				t.Fatalf("identifiers = %v for %s", cred["identifiers"], email)
			}
			if email == "u1@example.com" && (addr["id"] != oldAddr || m["state"] != "inactive") {
				t.Fatalf("address id not kept or state not changed: %v", m)
			}
			if email != "u1@example.com" && (addr["id"] == oldAddr || addr["value"] != "u3@example.com") {
				t.Fatalf("address not replaced: %v", addr)
			}
		})
	}
	code, _, v := e.do("GET", "/admin/identities?credentials_identifier=u3@example.com", "")
	if code != 200 || len(v.([]any)) != 1 {
		t.Fatalf("identifier not updated: %d %v", code, v)
	}
}

func TestPatch(t *testing.T) {
	e := newEnv(t)
	id := e.create("p1@example.com")["id"].(string)
	e.create("p2@example.com")
	path := "/admin/identities/" + id
	tests := []struct {
		name, path, body string
		code             int
	}{
		{"replace email", path, `[{"op":"replace","path":"/traits/email","value":"P9@example.com"}]`, 200},
		{"add metadata", path, `[{"op":"add","path":"/metadata_admin","value":{"x":1}}]`, 200},
		{"state", path, `[{"op":"replace","path":"/state","value":"inactive"}]`, 200},
		{"forbidden id", path, `[{"op":"replace","path":"/id","value":"00000000-0000-4000-8000-000000000000"}]`, 400},
		{"forbidden credentials", path, `[{"op":"remove","path":"/credentials/password"}]`, 400},
		{"forbidden created_at", path, `[{"op":"replace","path":"/created_at","value":"2020-01-01T00:00:00Z"}]`, 400},
		{"invalid patch", path, `{"op":"replace"}`, 400},
		{"failing test op", path, `[{"op":"test","path":"/state","value":"active"}]`, 400},
		{"schema violation", path, `[{"op":"remove","path":"/traits/email"}]`, 400},
		{"bad state", path, `[{"op":"replace","path":"/state","value":"x"}]`, 400},
		{"duplicate", path, `[{"op":"replace","path":"/traits/email","value":"p2@example.com"}]`, 409},
		{"unknown", "/admin/identities/00000000-0000-4000-8000-000000000000", `[{"op":"replace","path":"/state","value":"active"}]`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, v := e.do("PATCH", tt.path, tt.body)
			if code != tt.code {
				t.Fatalf("status = %d, want %d: %v", code, tt.code, v)
			}
		})
	}
	_, _, v := e.do("GET", path, "")
	m := v.(map[string]any)
	if m["traits"].(map[string]any)["email"] != "P9@example.com" || m["state"] != "inactive" || m["metadata_admin"] == nil {
		t.Fatalf("patches not applied: %v", m)
	}
	if ids := m["credentials"].(map[string]any)["password"].(map[string]any)["identifiers"].([]any); ids[0] != "p9@example.com" {
		t.Fatalf("identifiers = %v", ids)
	}
}
