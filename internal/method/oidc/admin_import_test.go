package oidc_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestAdminImport: an identity created by the admin API with credentials.oidc (Kratos's
// social sign-in import) signs in with that provider account; malformed, auto-link and taken
// accounts are refused.
func TestAdminImport(t *testing.T) {
	g := start(t)
	adm := g.s.Native(t)
	create := func(email, providers string) (int, map[string]any) {
		t.Helper()
		res := adm.Do(http.MethodPost, g.s.AdminURL("/admin/identities"), strings.NewReader(
			`{"schema_id":"default","traits":{"email":"`+email+`"},"credentials":{"oidc":{"config":{"providers":`+providers+`}}}}`),
			http.Header{"Content-Type": {"application/json"}})
		return res.StatusCode, res.Map(t)
	}
	status, m := create(g.adaEmail, `[{"provider":"corp","subject":"`+g.ada+`"}]`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, m)
	}
	id := m["id"].(string)
	if got := g.accounts(t, uuid.MustParse(id)); !slices.Equal(got, []string{"corp:" + g.ada}) {
		t.Fatalf("imported accounts: %v", got)
	}
	b := g.s.Browser(t)
	if res := b.Get(g.begin(t, b, "login")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("provider sign-in: %d", res.StatusCode)
	}
	if who, _ := g.whoami(t, b); who != id {
		t.Fatalf("signed in as %q, want the imported identity %q", who, id)
	}

	for _, tc := range []struct {
		name, providers string
		status          int
	}{
		{"no subject", `[{"provider":"corp"}]`, http.StatusBadRequest},
		{"auto link", `[{"provider":"corp","subject":"x","use_auto_link":true}]`, http.StatusBadRequest},
		{"twice", `[{"provider":"corp","subject":"x"},{"provider":"corp","subject":"x"}]`, http.StatusBadRequest},
		{"unknown field", `[{"provider":"corp","subject":"x","extra":1}]`, http.StatusBadRequest},
		{"taken by another identity", `[{"provider":"corp","subject":"` + g.ada + `"}]`, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, m := create("other-"+uuid.NewString()+"@example.com", tc.providers); status != tc.status {
				t.Fatalf("%d %v, want %d", status, m, tc.status)
			}
		})
	}
}
