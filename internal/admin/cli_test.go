package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico-auth/portico/internal/apptest"
)

// cli speaks to the admin API the way Ory's `kratos` CLI does with `-e <admin URL>`: the
// generated SDK's requests (Accept: application/json, a JSON body where there is one) through
// a plain Go HTTP client, which follows the admin port's 307 for public routes such as
// GET /schemas/{id} as the CLI's client does.
type cli struct {
	t        *testing.T
	endpoint string
	http     *http.Client
}

func (c *cli) do(method, path string, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(c.endpoint, "/")+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "OpenAPI-Generator/1.0.0/go")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res, b
}

var nextLinkRE = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// TestKratosCLIRequests: `kratos import identities <file>`, `kratos list identities
// --page-size 2` (walking the Link header's page_token as the CLI does), `kratos get identity`,
// `kratos validate identity <file>` (GET /schemas/{id} on the admin URL, 307 to the public
// URL) and `kratos delete identity`, on SQLite or the database in PORTICO_TEST_DSN.
func TestKratosCLIRequests(t *testing.T) {
	s := apptest.Start(t)
	c := &cli{t: t, endpoint: s.Admin.URL, http: &http.Client{}}
	tag := uuid.NewString()[:8]

	// import: each file holds one identity (Kratos's createIdentityBody), POSTed as it is.
	dir := t.TempDir()
	var created []string
	for i := 0; i < 5; i++ {
		doc := fmt.Sprintf(`{"schema_id":"default","traits":{"email":"cli-%s-%d@example.com","name":{"first":"Ada","last":"Lovelace"}},
			"credentials":{"password":{"config":{"password":"cli password for import %d"}}},"metadata_public":{"n":%d}}`, tag, i, i, i)
		path := filepath.Join(dir, fmt.Sprintf("identity-%d.json", i))
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		res, body := c.do(http.MethodPost, "/admin/identities", file)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("import %s: %d %s", path, res.StatusCode, body)
		}
		var got struct {
			ID     string `json:"id"`
			Traits struct {
				Email string `json:"email"`
			} `json:"traits"`
		}
		if err := json.Unmarshal(body, &got); err != nil || got.ID == "" {
			t.Fatalf("import reply %s: %v", body, err)
		}
		if want := fmt.Sprintf("cli-%s-%d@example.com", tag, i); got.Traits.Email != want {
			t.Fatalf("imported traits.email %q, want %q", got.Traits.Email, want)
		}
		created = append(created, got.ID)
	}

	// list --page-size 2: follow rel="next" until there is none; every imported identity is
	// listed exactly once (other tests' identities may share a database), no page is larger.
	seen := map[string]int{}
	next := "/admin/identities?page_size=2"
	for pages := 0; next != ""; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		res, body := c.do(http.MethodGet, next, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("list %s: %d %s", next, res.StatusCode, body)
		}
		var page []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("list reply %s: %v", body, err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d identities with page_size=2", len(page))
		}
		for _, it := range page {
			seen[it.ID]++
		}
		next = ""
		if m := nextLinkRE.FindStringSubmatch(res.Header.Get("Link")); m != nil {
			u, err := url.Parse(m[1])
			if err != nil {
				t.Fatalf("Link next %q: %v", m[1], err)
			}
			q := u.Query()
			if q.Get("page_token") == "" || q.Get("page_size") != "2" {
				t.Fatalf("Link next %q lacks page_token or page_size", m[1])
			}
			// The CLI takes the page token from the Link header and asks the same endpoint.
			next = "/admin/identities?" + url.Values{"page_size": {"2"}, "page_token": {q.Get("page_token")}}.Encode()
		} else if len(page) == 2 && !strings.Contains(res.Header.Get("Link"), `rel="first"`) {
			t.Fatalf("Link header %q", res.Header.Get("Link"))
		}
	}
	for _, id := range created {
		if seen[id] != 1 {
			t.Errorf("identity %s listed %d times", id, seen[id])
		}
	}

	// get identity
	res, body := c.do(http.MethodGet, "/admin/identities/"+created[2], nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"cli-%s-2@example.com"`, tag)) {
		t.Fatalf("get: %d %s", res.StatusCode, body)
	}
	var ident map[string]any
	if err := json.Unmarshal(body, &ident); err != nil {
		t.Fatal(err)
	}

	// validate identity: the schema is fetched from the admin URL; the public route answers
	// 307 there and the client follows it to the public URL.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	raw := &cli{t: t, endpoint: s.Admin.URL, http: noFollow}
	sid := ident["schema_id"].(string)
	if r, _ := raw.do(http.MethodGet, "/schemas/"+sid, nil); r.StatusCode != http.StatusTemporaryRedirect ||
		r.Header.Get("Location") != s.PublicURL("/schemas/"+sid) {
		t.Fatalf("admin GET /schemas/%s: %d to %q, want 307 to the public URL", sid, r.StatusCode, r.Header.Get("Location"))
	}
	res, schemaDoc := c.do(http.MethodGet, "/schemas/"+sid, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("fetch schema %s through the admin URL: %d %s", sid, res.StatusCode, schemaDoc)
	}
	validate := func(doc map[string]any) error {
		var sch any
		if err := json.Unmarshal(schemaDoc, &sch); err != nil {
			t.Fatalf("schema is not JSON: %v", err)
		}
		comp := jsonschema.NewCompiler()
		if err := comp.AddResource("schema.json", sch); err != nil {
			t.Fatal(err)
		}
		compiled, err := comp.Compile("schema.json")
		if err != nil {
			t.Fatalf("schema does not compile: %v", err)
		}
		var inst any
		b, _ := json.Marshal(map[string]any{"traits": doc["traits"]})
		_ = json.Unmarshal(b, &inst)
		return compiled.Validate(inst)
	}
	if err := validate(ident); err != nil {
		t.Errorf("the stored identity does not validate against its schema: %v", err)
	}
	ident["traits"] = map[string]any{"name": map[string]any{"first": "No e-mail"}}
	if err := validate(ident); err == nil {
		t.Error("an identity without its required e-mail validated")
	}
	// The schema_url an identity names is the public one, and reachable the same way.
	if su, _ := ident["schema_url"].(string); !strings.HasPrefix(su, s.PublicURL("/schemas/")) {
		t.Errorf("schema_url %q is not on the public URL", su)
	} else if r, b := c.do(http.MethodGet, strings.TrimPrefix(su, strings.TrimSuffix(s.PublicURL("/"), "/")), nil); r.StatusCode != http.StatusOK || !bytes.Equal(b, schemaDoc) {
		t.Errorf("schema_url through the admin URL: %d", r.StatusCode)
	}

	// delete identity: 204, then 404 for get and delete.
	if res, body := c.do(http.MethodDelete, "/admin/identities/"+created[0], nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.StatusCode, body)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if res, body := c.do(m, "/admin/identities/"+created[0], nil); res.StatusCode != http.StatusNotFound ||
			!strings.Contains(string(body), `"code":404`) {
			t.Errorf("%s after delete: %d %s", m, res.StatusCode, body)
		}
	}
}
