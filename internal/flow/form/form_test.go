package form_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
