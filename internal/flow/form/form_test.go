package form_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow/form"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		want              map[string]string
		wantErr           bool
	}{
		{"form with dotted names", "application/x-www-form-urlencoded",
			"method=password&traits.email=a%40b.c&traits.name.first=Ada",
			map[string]string{"method": "password", "traits.email": "a@b.c", "traits.name.first": "Ada"}, false},
		{"json nested", "application/json; charset=utf-8",
			`{"method":"password","traits":{"email":"a@b.c","age":42}}`,
			map[string]string{"method": "password", "traits.email": "a@b.c", "traits.age": "42", "missing": ""}, false},
		{"a field sent twice with one value (hidden method and its button)", "application/x-www-form-urlencoded",
			"method=code&code=123456&method=code",
			map[string]string{"method": "code", "code": "123456"}, false},
		{"a field sent twice with two values", "application/x-www-form-urlencoded",
			"method=code&method=link",
			map[string]string{"method": ""}, false},
		{"a JSON list is no string", "application/json", `{"method":["code","code"]}`,
			map[string]string{"method": ""}, false},
		{"broken json", "application/json", `{"method":`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			v, err := form.Decode(r)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			for k, want := range tt.want {
				if got := v.String(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if !tt.wantErr && v.Object("traits") == nil && strings.Contains(tt.body, "traits") {
				t.Error("traits is not an object")
			}
		})
	}
}

// TestDecodeIsBounded: the shared limits hold for both encodings before anything is nested:
// a dotted name deeper than the limit, invalid UTF-8 and NUL are 400s, not a million maps.
func TestDecodeIsBounded(t *testing.T) {
	for name, tt := range map[string]struct{ ctype, body string }{
		"dotted name":         {"application/x-www-form-urlencoded", "traits" + strings.Repeat(".", 100_000) + "=x"},
		"33 segments":         {"application/x-www-form-urlencoded", "a" + strings.Repeat(".b", 32) + "=x"},
		"NUL in a value":      {"application/x-www-form-urlencoded", "identifier=a%00"},
		"invalid UTF-8 name":  {"application/x-www-form-urlencoded", "%ff=1"},
		"multipart dotted":    {"multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"a" + strings.Repeat(".b", 40) + "\"\r\n\r\nx\r\n--B--\r\n"},
		"deep JSON":           {"application/json", strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)},
		"NUL in a JSON value": {"application/json", `{"identifier":"a\u0000"}`},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", tt.ctype)
		if _, err := form.Decode(r); !errors.Is(err, apierr.ErrBadRequest) {
			t.Errorf("%s: err = %v, want a bad request", name, err)
		}
	}
	// At the limit it still decodes.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("a"+strings.Repeat(".b", 31)+"=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if v, err := form.Decode(r); err != nil || v.String("a"+strings.Repeat(".b", 31)) != "x" {
		t.Errorf("32 segments: %v", err)
	}
}

// TestDecodeShapes: a form says it is one (IsForm), keeps a repeated field as a list, and
// Fields drops the marker; JSON (also a +json type or a null body) is not a form, and a JSON
// key cannot forge the marker (a NUL is refused before anything is decoded).
func TestDecodeShapes(t *testing.T) {
	decode := func(ctype, body string) (form.Values, error) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		return form.Decode(r)
	}
	v, err := decode("application/x-www-form-urlencoded", "traits.tags=a&traits.tags=b&method=profile")
	if err != nil || !v.IsForm() {
		t.Fatalf("form: %v, IsForm %v", err, v.IsForm())
	}
	if tags, _ := v.Object("traits")["tags"].([]any); len(tags) != 2 || tags[0] != "a" || tags[1] != "b" {
		t.Errorf("repeated field = %#v", v.Object("traits")["tags"])
	}
	if f := v.Fields(); f.IsForm() || f.String("method") != "profile" || len(f) != 2 {
		t.Errorf("Fields = %#v", f)
	}
	for name, tt := range map[string]struct{ ctype, body string }{
		"json":  {"application/json", `{"method":"profile"}`},
		"+json": {"application/merge-patch+json", `{"method":"profile"}`},
		"null":  {"application/json", `null`},
	} {
		v, err := decode(tt.ctype, tt.body)
		if err != nil || v == nil || v.IsForm() {
			t.Errorf("%s: %#v, %v", name, v, err)
		}
	}
	if v, err := decode("application/json", `{"\u0000form":true}`); err == nil || v.IsForm() {
		t.Errorf("forged marker: %#v, %v", v, err)
	}
}
