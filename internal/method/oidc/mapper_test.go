package oidc

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return "base64://" + base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMapper(t *testing.T) {
	claims := &Claims{Subject: "s", Email: "a@example.com", EmailVerified: true, Raw: map[string]any{"groups": []any{"admins"}}}
	dir := t.TempDir()
	file := filepath.Join(dir, "m.jsonnet")
	if err := os.WriteFile(file, []byte(`local c = std.extVar('claims'); {identity: {traits: {email: c.email}, metadata_public: {groups: c.raw_claims.groups}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, url, want, err string
	}{
		{"file", "file://" + file, `{"email":"a@example.com"}`, ""},
		{"base64", b64(`{identity: {traits: {email: std.extVar('claims').email}}}`), `{"email":"a@example.com"}`, ""},
		{"no traits", b64(`{identity: {}}`), "", "no identity.traits"},
		{"not an object", b64(`"x"`), "", "no identity.traits"},
		{"runtime error", b64(`{identity: {traits: {x: std.extVar('claims').nope}}}`), "", "Field does not exist"},
		{"imports refused", b64(`local secrets = import '/etc/passwd'; {identity: {traits: secrets}}`), "", "imports are not allowed"},
		{"importstr refused", b64(`{identity: {traits: {x: importstr '/etc/hostname'}}}`), "", "imports are not allowed"},
		{"deep recursion", b64(`local f(n) = f(n + 1); {identity: {traits: f(0)}}`), "", "stack"},
		{"huge output", b64(`{identity: {traits: {x: std.makeArray(30000, function(i) 'xxxxxxxxxx')}}}`), "", "output larger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadMapper(context.Background(), tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Map(context.Background(), claims)
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrMapper) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got.Traits) != tc.want {
				t.Fatalf("traits %s, %v", got.Traits, err)
			}
		})
	}
	if _, err := LoadMapper(context.Background(), b64(`{identity: `), nil); err == nil {
		t.Error("a syntax error was accepted at start-up")
	}
	if _, err := LoadMapper(context.Background(), "file:///no/such/mapper.jsonnet", nil); err == nil {
		t.Error("a missing file was accepted")
	}
}

// TestMapperTimeout: a mapper that runs on is abandoned after the bound, and holds its slot
// until it ends, so runaway mappers cannot pile up.
func TestMapperTimeout(t *testing.T) {
	// About 360,000 additions in flat folds: well past the bound, and it ends by itself (a
	// deep tailstrict loop would grow the evaluator's Go stack until the process dies after
	// the test has finished).
	m, err := LoadMapper(context.Background(), b64(`local inner(k) = std.foldl(function(a, i) a + i, std.range(1, 600), k); {identity: {traits: {n: std.foldl(function(a, j) inner(a), std.range(1, 600), 0)}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	m.slots, m.timeout = make(chan struct{}, 1), 50*time.Millisecond
	start := time.Now()
	_, err = m.Map(context.Background(), &Claims{})
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %s", d)
	}
	// The only slot is still taken by the runaway evaluation: the next one is refused
	// within the bound instead of starting a second.
	_, err = m.Map(context.Background(), &Claims{})
	if err == nil || !strings.Contains(err.Error(), "no evaluation slot") {
		t.Fatalf("second evaluation: %v", err)
	}
}
