package oidc_test

import (
	"net/http"
	"net/url"
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
		// "corp:a" + "b" would be the identifier of provider corp's subject "a:b".
		{"provider with a colon", `[{"provider":"corp:a","subject":"b"}]`, http.StatusBadRequest},
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

// TestAdminDeleteOIDCCredential: DELETE /admin/identities/{id}/credentials/oidc removes the one
// provider account its identifier names (the other accounts stay and still sign in), is
// refused without an identifier or for an account the identity does not have, refuses the
// last way to sign in, and is in the identity's event trail with the identifier.
func TestAdminDeleteOIDCCredential(t *testing.T) {
	g := start(t)
	adm := g.s.Native(t)
	create := func(body string) string {
		t.Helper()
		res := adm.Do(http.MethodPost, g.s.AdminURL("/admin/identities"), strings.NewReader(body), http.Header{"Content-Type": {"application/json"}})
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", res.StatusCode, res.Body)
		}
		return res.Map(t)["id"].(string)
	}
	del := func(id, query string) (int, string) {
		t.Helper()
		res := adm.Do(http.MethodDelete, g.s.AdminURL("/admin/identities/"+id+"/credentials/oidc"+query), nil, nil)
		if res.StatusCode != http.StatusNoContent {
			return res.StatusCode, res.Map(t)["error"].(map[string]any)["reason"].(string)
		}
		return res.StatusCode, ""
	}
	other := "other-" + uuid.NewString()
	// Two accounts of one provider: ada's and another.
	two := create(`{"schema_id":"default","traits":{"email":"` + g.adaEmail + `"},"credentials":{"oidc":{"config":{"providers":[` +
		`{"provider":"corp","subject":"` + g.ada + `"},{"provider":"corp","subject":"` + other + `"}]}}}}`)
	for _, tc := range []struct {
		name, query string
		status      int
	}{
		{"no identifier", "", http.StatusBadRequest},
		{"empty identifier", "?identifier=", http.StatusBadRequest},
		{"unknown account", "?identifier=corp:nobody", http.StatusNotFound},
		{"subject without provider", "?identifier=" + other, http.StatusNotFound},
	} {
		if status, reason := del(two, tc.query); status != tc.status {
			t.Errorf("%s: %d (%s), want %d", tc.name, status, reason, tc.status)
		}
	}
	if got := g.accounts(t, uuid.MustParse(two)); len(got) != 2 {
		t.Fatalf("a refused deletion changed the accounts: %v", got)
	}
	if status, reason := del(two, "?identifier="+url.QueryEscape("corp:"+other)); status != http.StatusNoContent {
		t.Fatalf("delete one account: %d %s", status, reason)
	}
	if got := g.accounts(t, uuid.MustParse(two)); !slices.Equal(got, []string{"corp:" + g.ada}) {
		t.Fatalf("accounts after the deletion: %v", got)
	}
	res := adm.Get(g.s.AdminURL("/admin/identities/" + two + "?include_credential=oidc"))
	cr := res.Map(t)["credentials"].(map[string]any)["oidc"].(map[string]any)
	if ids := cr["identifiers"].([]any); len(ids) != 1 || ids[0] != "corp:"+g.ada {
		t.Fatalf("identifiers shown after the deletion: %v", ids)
	}
	// ada's account is the identity's only way to sign in: it stays.
	if status, reason := del(two, "?identifier=corp:"+g.ada); status != http.StatusBadRequest || reason != "You cannot remove the last first factor credential." {
		t.Fatalf("delete the last way to sign in: %d %q", status, reason)
	}
	b := g.s.Browser(t)
	if res := b.Get(g.begin(t, b, "login")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("provider sign-in: %d", res.StatusCode)
	}
	if who, _ := g.whoami(t, b); who != two {
		t.Fatalf("signed in as %q, want %q", who, two)
	}

	// With a password too, the last account can go, and the credential with it.
	email := "pw-" + uuid.NewString() + "@example.com"
	withPassword := create(`{"schema_id":"default","traits":{"email":"` + email + `"},"credentials":{"password":{"config":{"password":"a long enough password"}},` +
		`"oidc":{"config":{"providers":[{"provider":"corp","subject":"` + other + `"}]}}}}`)
	if status, reason := del(withPassword, "?identifier=corp:"+other); status != http.StatusNoContent {
		t.Fatalf("delete the only account beside a password: %d %s", status, reason)
	}
	ident, err := g.s.App.Store.GetIdentity(t.Context(), uuid.MustParse(withPassword), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ident.Credentials["oidc"]; ok {
		t.Fatalf("the oidc credential outlived its last account: %+v", ident.Credentials["oidc"])
	}
	if status, _ := del(withPassword, "?identifier=corp:"+other); status != http.StatusNotFound {
		t.Fatalf("delete again: %d, want 404", status)
	}

	// The trail names the account removed.
	res = adm.Get(g.s.AdminURL("/admin/identities/" + two + "/events"))
	var events []struct {
		Type    string         `json:"type"`
		Details map[string]any `json:"details"`
	}
	res.JSON(t, &events)
	found := false
	for _, ev := range events {
		if ev.Type == "identity_credential_deleted" {
			found = ev.Details["type"] == "oidc" && ev.Details["identifier"] == "corp:"+other && ev.Details["by"] == "admin"
		}
	}
	if !found {
		t.Fatalf("no identity_credential_deleted event with the identifier: %+v", events)
	}
}
