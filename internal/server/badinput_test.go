package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// badBodies are submissions no client should send; each must get a 4xx with error JSON or a
// flow, never a 5xx.
var badBodies = []string{
	``,
	`not json`,
	`{`,
	`[]`,
	`null`,
	`"a string"`,
	`{"method": 42}`,
	`{"method": "password", "identifier": {"a": 1}, "password": [1,2]}`,
	`{"method": "password", "traits": "not an object", "password": 7}`,
	`{"method": "profile", "traits": {"email": 12, "name": "flat"}}`,
	`{"method": "profile", "traits": {"email": "` + strings.Repeat("a", 70000) + `@example.com"}}`,
	`{"method": "password", "password": "` + strings.Repeat("x", 5000) + `"}`,
	`{"method": "totp", "totp_code": {"x": 1}}`,
	`{"method": "lookup_secret", "lookup_secret": 123}`,
	`{"method": "webauthn", "webauthn_register": "{{{{", "webauthn_login": "\u0000"}`,
	`{"method": "passkey", "passkey_login": "` + "\xff\xfe" + `"}`,
	`{"schema_id": 5, "traits": []}`,
	`{"schema_id": "nope", "traits": {}}`,
	`{"schema_id": "default", "traits": {"email": "a@example.com"}, "credentials": {"password": {"config": {"hashed_password": "$2a$04$short"}}}}`,
	`[{"op": "replace", "path": "/traits/email", "value": 1}]`,
	`[{"op": "remove", "path": "/id"}]`,
	strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000),
	`{"csrf_token": "` + strings.Repeat("=", 100) + `", "method": "password"}`,
}

func TestBadInputNeverGets5xx(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"))
	email, pw := "bad-input@example.com", "a sturdy passphrase"
	ident := s.CreateIdentity(t, email, pw)
	token := s.LoginNative(t, email, pw)
	app := s.Native(t)
	app.Header.Set("X-Session-Token", token)
	flowID := func(path string) string {
		var f struct{ ID string }
		app.Get(s.PublicURL(path)).JSON(t, &f)
		return f.ID
	}
	anon := s.Native(t)
	var lf struct{ ID string }
	anon.Get(s.PublicURL("/self-service/login/api")).JSON(t, &lf)
	var rf struct{ ID string }
	anon.Get(s.PublicURL("/self-service/registration/api")).JSON(t, &rf)

	targets := []struct {
		name, method, url string
		c                 *apptest.Client
	}{
		{"login", "POST", s.PublicURL("/self-service/login?flow=" + lf.ID), anon},
		{"registration", "POST", s.PublicURL("/self-service/registration?flow=" + rf.ID), anon},
		{"settings", "POST", s.PublicURL("/self-service/settings?flow=" + flowID("/self-service/settings/api")), app},
		{"settings, unknown flow", "POST", s.PublicURL("/self-service/settings?flow=not-a-uuid"), app},
		{"logout api", "DELETE", s.PublicURL("/self-service/logout/api"), anon},
		{"admin create", "POST", s.AdminURL("/admin/identities"), anon},
		{"admin update", "PUT", s.AdminURL("/admin/identities/" + ident.ID.String()), anon},
		{"admin patch", "PATCH", s.AdminURL("/admin/identities/" + ident.ID.String()), anon},
		{"admin extend", "PATCH", s.AdminURL("/admin/sessions/not-a-uuid/extend"), anon},
	}
	for _, tg := range targets {
		for i, body := range badBodies {
			for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
				r := tg.c.Do(tg.method, tg.url, bytes.NewReader([]byte(body)), http.Header{"Content-Type": {ct}})
				if r.StatusCode >= 500 {
					t.Errorf("%s, body %d (%s): %d %s", tg.name, i, ct, r.StatusCode, r.Body)
				}
			}
		}
	}
	// Browser form posts with garbage are refused (CSRF or validation), never a 5xx either.
	b := s.Browser(t)
	id, _ := s.BrowserFlow(t, b, "login")
	for i, body := range badBodies {
		r := b.Do("POST", s.PublicURL("/self-service/login?flow="+id), strings.NewReader(body),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if r.StatusCode >= 500 {
			t.Errorf("browser login, body %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
}
