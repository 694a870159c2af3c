package schemaapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico-auth/portico/internal/schema"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	enc := func(s string) string { return "base64://" + base64.StdEncoding.EncodeToString([]byte(s)) }
	reg, err := schema.NewRegistry(context.Background(), []schema.Source{
		{ID: "default", URL: enc(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"traits":{"type":"object"}}}`)},
		{ID: "other", URL: enc(`{"type":"object","title":"Other"}`)},
	}, "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	New(reg).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestGetSchema(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path  string
		code  int
		title string
	}{
		{"/schemas/other", 200, "Other"},
		{"/schemas/b3RoZXI", 200, "Other"},
		{"/schemas/ZGVmYXVsdA", 200, ""},
		{"/schemas/default", 200, ""},
		{"/schemas/nope", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d, body %s", resp.StatusCode, b)
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if tt.code == 404 {
				if doc["error"].(map[string]any)["code"].(float64) != 404 {
					t.Fatalf("body = %s", b)
				}
				return
			}
			if title, _ := doc["title"].(string); title != tt.title {
				t.Fatalf("body = %s", b)
			}
		})
	}
}

func TestListSchemas(t *testing.T) {
	srv := newServer(t)
	for _, tt := range []struct {
		query string
		code  int
		ids   []string
	}{
		{"", 200, []string{"default", "other"}},
		{"?page_size=1", 200, []string{"default"}},
		{"?page_size=1&page_token=1", 200, []string{"other"}},
		{"?page_size=0", 400, nil},
		{"?page_token=x", 400, nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/schemas" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			if tt.code != 200 {
				return
			}
			var list []struct {
				ID     string          `json:"id"`
				Schema json.RawMessage `json:"schema"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
				t.Fatal(err)
			}
			if len(list) != len(tt.ids) {
				t.Fatalf("list = %+v", list)
			}
			for i, c := range list {
				if c.ID != tt.ids[i] || !json.Valid(c.Schema) || c.Schema[0] != '{' {
					t.Fatalf("item %d = %+v", i, c)
				}
			}
		})
	}
}
