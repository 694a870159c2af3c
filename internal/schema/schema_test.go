package schema

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apierr"
)

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	abs, err := filepath.Abs("testdata/person.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRegistry(context.Background(), []Source{{ID: "default", URL: "file://" + abs}}, "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewRegistrySources(t *testing.T) {
	raw, err := os.ReadFile("testdata/person.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	parts, _ := os.ReadFile("testdata/parts.json")
	refDoc, _ := os.ReadFile("testdata/ref.schema.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/person.json":
			_, _ = w.Write(raw)
		case "/ref.json":
			_, _ = w.Write(refDoc)
		case "/parts.json":
			_, _ = w.Write(parts)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	tests := []struct {
		name    string
		url     string
		wantErr string
	}{
		{"bare path", "testdata/person.schema.json", ""},
		{"file url with remote ref", "file://" + mustAbs(t, "testdata/ref.schema.json"), ""},
		{"base64 std", "base64://" + base64.StdEncoding.EncodeToString(raw), ""},
		{"base64 url", "base64://" + base64.RawURLEncoding.EncodeToString(raw), ""},
		{"http", srv.URL + "/person.json", ""},
		{"http with remote ref", srv.URL + "/ref.json", ""},
		{"http 404", srv.URL + "/missing.json", `load identity schema "s" from "` + srv.URL + `/missing.json"`},
		{"missing file", "testdata/nope.json", `load identity schema "s" from "testdata/nope.json"`},
		{"bad base64", "base64://!!!", `load identity schema "s"`},
		{"not a schema", "base64://" + base64.StdEncoding.EncodeToString([]byte(`{"type": 12}`)), `compile schema`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRegistry(context.Background(), []Source{{ID: "s", URL: tt.url}}, "s", srv.Client())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Default().ID != "s" || len(r.List()) != 1 {
				t.Fatalf("registry = %+v", r.List())
			}
			if !json.Valid(r.Default().Raw) {
				t.Fatal("raw schema is not JSON")
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRegistryGet(t *testing.T) {
	r := testRegistry(t)
	if _, err := r.Get("default"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("nope"); !errors.Is(err, apierr.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
	if _, err := NewRegistry(context.Background(), nil, "x", nil); err == nil {
		t.Fatal("a missing default schema must fail")
	}
}

func TestTraitFields(t *testing.T) {
	fields := testRegistry(t).Default().TraitFields()
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.Path+":"+f.Type)
	}
	want := []string{"traits.email:string", "traits.username:string", "traits.name.last:string", "traits.name.first:string",
		"traits.backup_emails:array", "traits.age:integer", "traits.newsletter:boolean"}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("paths = %v\nwant   %v", paths, want)
	}
	email := fields[0]
	if !email.Required || email.Format != "email" || email.Title != "E-Mail" || !email.IsPasswordIdentifier ||
		!email.IsWebAuthnIdentifier || !email.IsTOTPAccountName || !email.IsCodeIdentifier ||
		email.VerificationVia != "email" || email.RecoveryVia != "email" || email.MinLength != 3 {
		t.Fatalf("email field = %+v", email)
	}
	if fields[1].Required || !fields[1].IsPasskeyDisplayName || fields[1].MaxLength != 20 {
		t.Fatalf("username field = %+v", fields[1])
	}
	if fields[5].Title != "Age" {
		t.Fatalf("local $ref not followed: %+v", fields[5])
	}
	if fields[4].Format != "email" || fields[4].VerificationVia != "email" {
		t.Fatalf("array items extension not read: %+v", fields[4])
	}
}

func TestValidateTraits(t *testing.T) {
	s := testRegistry(t).Default()
	tests := []struct {
		name   string
		traits string
		want   []Problem // path + id only
	}{
		{"ok", `{"email":"a@example.com","name":{"first":"A"}}`, nil},
		{"missing email", `{}`, []Problem{{Path: "traits.email", MessageID: MessageRequired}}},
		{"null traits", `null`, []Problem{{Path: "traits", MessageID: MessageGeneric}}},
		{"bad email", `{"email":"nope"}`, []Problem{{Path: "traits.email", MessageID: MessageInvalidEmail}}},
		{"too short", `{"email":"a@"}`, []Problem{{Path: "traits.email", MessageID: MessageInvalidEmail}}},
		{"too short username", `{"email":"a@example.com","username":"A"}`, []Problem{{Path: "traits.username", MessageID: MessageMinLength}}},
		{"too long", `{"email":"a@example.com","username":"aaaaaaaaaaaaaaaaaaaaaaaaa"}`, []Problem{{Path: "traits.username", MessageID: MessageMaxLength}}},
		{"wrong type", `{"email":"a@example.com","age":"x"}`, []Problem{{Path: "traits.age", MessageID: MessageGeneric}}},
		{"extra", `{"email":"a@example.com","x":1}`, []Problem{{Path: "traits", MessageID: MessageGeneric}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateTraits(json.RawMessage(tt.traits))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if !errors.Is(err, apierr.ErrBadRequest) || apierr.From(err).Code != 400 {
				t.Fatal("a validation error must be a bad request")
			}
			var got []Problem
			for _, p := range ve.Problems {
				if p.Message == "" {
					t.Errorf("problem without message: %+v", p)
				}
				got = append(got, Problem{Path: p.Path, MessageID: p.MessageID})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %+v, want %+v", ve.Problems, tt.want)
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || (g.Path == w.Path && g.MessageID == w.MessageID)
				}
				if !found {
					t.Fatalf("problems = %+v, want %+v", ve.Problems, tt.want)
				}
			}
			if !strings.Contains(apierr.From(err).Reason, tt.want[0].Path) {
				t.Fatalf("reason %q does not name %q", apierr.From(err).Reason, tt.want[0].Path)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	s := testRegistry(t).Default()
	ex, err := s.Extract(json.RawMessage(`{"email":"  Ada@Example.COM ","username":" Ada ",
		"backup_emails":["B@example.com","ada@example.com","b@EXAMPLE.com", 7]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Extracted{
		PasswordIdentifiers: []string{"ada@example.com", "Ada"},
		WebAuthnIdentifiers: []string{"ada@example.com"},
		CodeIdentifiers:     []Address{{"ada@example.com", "email"}},
		PasskeyDisplayName:  "Ada",
		TOTPAccountName:     "ada@example.com",
		VerifiableAddresses: []Address{{"ada@example.com", "email"}, {"b@example.com", "email"}},
		RecoveryAddresses:   []Address{{"ada@example.com", "email"}, {"b@example.com", "email"}},
	}
	if !reflect.DeepEqual(ex, want) {
		t.Fatalf("extracted = %+v\nwant        %+v", ex, want)
	}
	if _, err := s.Extract(json.RawMessage(`[1]`)); !errors.Is(err, apierr.ErrBadRequest) {
		t.Fatalf("non-object traits: err = %v", err)
	}
}

func FuzzExtract(f *testing.F) {
	abs, _ := filepath.Abs("testdata/person.schema.json")
	r, err := NewRegistry(context.Background(), []Source{{ID: "d", URL: abs}}, "d", nil)
	if err != nil {
		f.Fatal(err)
	}
	s := r.Default()
	f.Add([]byte(`{"email":"a@example.com","backup_emails":["x@y.z"]}`))
	f.Add([]byte(`{"email":7,"name":{"first":[]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ex, err := s.Extract(data)
		if err != nil {
			return
		}
		for _, list := range [][]string{ex.PasswordIdentifiers, ex.WebAuthnIdentifiers} {
			seen := map[string]bool{}
			for _, v := range list {
				if v == "" || v != strings.TrimSpace(v) || seen[v] {
					t.Fatalf("bad identifier %q in %q", v, list)
				}
				seen[v] = true
				if NormalizeValue(v, false) != v {
					t.Fatalf("identifier %q not normalised", v)
				}
			}
		}
		for _, a := range append(ex.VerifiableAddresses, ex.RecoveryAddresses...) {
			if a.Value == "" || a.Via == "" || a.Value != strings.TrimSpace(a.Value) {
				t.Fatalf("bad address %+v", a)
			}
			if a.Via == "email" && a.Value != strings.ToLower(a.Value) {
				t.Fatalf("email address not lower-cased: %q", a.Value)
			}
		}
		_ = s.ValidateTraits(data)
	})
}

func FuzzParseOrdered(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":null}],"c":"d"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseOrdered(data)
		if err != nil {
			return
		}
		var a, b any
		if json.Unmarshal(data, &a) != nil {
			return
		}
		if err := json.Unmarshal(n.raw(), &b); err != nil {
			t.Fatalf("re-encoded %q: %v", n.raw(), err)
		}
	})
}
