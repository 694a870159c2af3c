package audithttp_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
)

// event is an event as GET /admin/identities/{id}/events shows it.
type event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	CreatedAt  string         `json:"created_at"`
	IdentityID *string        `json:"identity_id"`
	SessionID  *string        `json:"session_id"`
	IPAddress  string         `json:"ip_address"`
	UserAgent  string         `json:"user_agent"`
	Details    map[string]any `json:"details"`
}

// trail reads every event of identity id through the admin API, newest first, walking the
// Link header's next pages of size 2.
func trail(t *testing.T, s *apptest.Server, id string) []event {
	t.Helper()
	admin := s.Native(t)
	next := s.AdminURL("/admin/identities/" + id + "/events?page_size=2")
	var all []event
	for range 100 {
		res := admin.Get(next)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("events: %d %s", res.StatusCode, res.Body)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("events Cache-Control = %q", cc)
		}
		var page []event
		res.JSON(t, &page)
		all = append(all, page...)
		m := nextLink.FindStringSubmatch(res.Header.Get("Link"))
		if m == nil {
			return all
		}
		next = s.AdminURL(m[1])
	}
	t.Fatal("no last page")
	return nil
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

func types(evs []event) string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return strings.Join(out, " ")
}

// allRows reads every stored event as text, for what must never be stored.
func allRows(t *testing.T, s *apptest.Server) (rows []string, anonymous int) {
	t.Helper()
	db := s.App.Store.(interface{ DB() *sql.DB }).DB()
	r, err := db.Query("SELECT CASE WHEN identity_id IS NULL THEN 1 ELSE 0 END, type, address, user_agent, details FROM audit_events")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var none int
		var typ, addr, ua, details string
		if err := r.Scan(&none, &typ, &addr, &ua, &details); err != nil {
			t.Fatal(err)
		}
		anonymous += none
		rows = append(rows, strings.Join([]string{typ, addr, ua, details}, " "))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, anonymous
}

// TestSignInTrail: as a browser, an SPA and a native app, a wrong password, an unknown
// identifier and a sign-in each leave their event: the sign-in with its session, methods and
// aal, the client's address and user agent; the wrong password under the identity. The
// unknown identifier's failure is counted, not stored, and nothing stored keeps what was typed
// (the reply to both failures is the same).
func TestSignInTrail(t *testing.T) {
	s := apptest.Start(t)
	for _, fc := range s.FlowClients(t, "login") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email("trail-" + fc.As)
			unknown := apptest.Email("nobody-" + fc.As)
			id := s.CreateIdentity(t, email, "a long enough password")
			unstored0 := s.Unstored(t, "sign_in_failed", "password")
			f := fc.Start(t)
			f = fc.Submit(t, f, map[string]string{"method": "password", "identifier": email, "password": "wrong password!"})
			f = fc.Submit(t, f, map[string]string{"method": "password", "identifier": unknown, "password": "wrong password!"})
			if !f.HasMessage(4000006) {
				t.Fatalf("unknown identifier: messages %v, want 4000006", f.MessageIDs())
			}
			done := fc.Submit(t, f, map[string]string{"method": "password", "identifier": email, "password": "a long enough password"})
			if done.Status != http.StatusOK && done.Status != http.StatusSeeOther {
				t.Fatalf("sign-in: %d", done.Status)
			}

			evs := trail(t, s, id.ID.String())
			if got := types(evs); got != "sign_in sign_in_failed" {
				t.Fatalf("trail = %q, want the sign-in after the failure", got)
			}
			in, failed := evs[0], evs[1]
			var sessions []struct{ ID string }
			s.Native(t).Get(s.AdminURL("/admin/identities/"+id.ID.String()+"/sessions")).JSON(t, &sessions)
			if len(sessions) != 1 || in.SessionID == nil || *in.SessionID != sessions[0].ID {
				t.Errorf("sign-in session %v, want the identity's session %v", in.SessionID, sessions)
			}
			if in.Details["aal"] != "aal1" || fmt.Sprint(in.Details["methods"]) != "[password]" || in.IPAddress != "127.0.0.1" || in.UserAgent == "" {
				t.Errorf("sign-in event = %+v", in)
			}
			if failed.IdentityID == nil || *failed.IdentityID != id.ID.String() || failed.SessionID != nil || failed.Details["method"] != "password" {
				t.Errorf("failure event = %+v", failed)
			}
			rows, anonymous := allRows(t, s)
			if anonymous != 0 {
				t.Errorf("%d events of no identity stored", anonymous)
			}
			if n := s.Unstored(t, "sign_in_failed", "password") - unstored0; n != 1 {
				t.Errorf("%d unstored failures counted, want the unknown identifier's", n)
			}
			for _, row := range rows {
				if strings.Contains(strings.ToLower(row), "nobody-") {
					t.Fatalf("an event keeps the typed identifier: %s", row)
				}
			}
		})
	}
}

// TestThrottledTrail: once the identifier's budget is spent, the refused attempts are
// recorded as throttled, under the identity; a user agent of 8 KiB is kept to its bound.
func TestThrottledTrail(t *testing.T) {
	s := apptest.Start(t)
	email := apptest.Email("throttled")
	id := s.CreateIdentity(t, email, "a long enough password")
	app := s.Native(t)
	hdr := http.Header{"User-Agent": {strings.Repeat("Agent/1.0 ", 800)}}
	limited := false
	for i := 0; i < 60 && !limited; i++ {
		var f struct{ ID string }
		app.Get(s.PublicURL("/self-service/login/api")).JSON(t, &f)
		body := strings.NewReader(`{"method":"password","identifier":"` + email + `","password":"wrong password!"}`)
		res := app.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+f.ID), body,
			http.Header{"Content-Type": {"application/json"}, "User-Agent": hdr["User-Agent"]})
		limited = res.StatusCode == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("60 wrong passwords were never throttled")
	}
	evs := trail(t, s, id.ID.String())
	if len(evs) < 2 || evs[0].Type != "sign_in_throttled" || evs[1].Type != "sign_in_failed" {
		t.Fatalf("trail = %q, want failures then the throttled attempt", types(evs))
	}
	for _, ev := range evs {
		if len(ev.UserAgent) == 0 || len(ev.UserAgent) > 256 {
			t.Fatalf("user agent of %d bytes stored", len(ev.UserAgent))
		}
	}
}

// TestRevocationTrail: a session revoked by its owner (one, or all the others), by an
// administrator (one, or all) and by logout (native and browser) is recorded each time with
// who did it and which session; revoking others when there are none records nothing.
func TestRevocationTrail(t *testing.T) {
	s := apptest.Start(t)
	email := apptest.Email("revoked")
	id := s.CreateIdentity(t, email, "a long enough password")
	ids := id.ID.String()
	tokens := []string{s.LoginNative(t, email, "a long enough password"), s.LoginNative(t, email, "a long enough password"),
		s.LoginNative(t, email, "a long enough password"), s.LoginNative(t, email, "a long enough password")}
	sessionOf := func(token string) string {
		var who struct{ ID string }
		res := s.Native(t).Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"X-Session-Token": {token}})
		res.JSON(t, &who)
		return who.ID
	}
	sid := []string{sessionOf(tokens[0]), sessionOf(tokens[1]), sessionOf(tokens[2]), sessionOf(tokens[3])}
	owner := s.Native(t)
	own := http.Header{"X-Session-Token": {tokens[0]}}
	if res := owner.Do(http.MethodDelete, s.PublicURL("/sessions/"+sid[1]), nil, own); res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke mine: %d %s", res.StatusCode, res.Body)
	}
	admin := s.Native(t)
	if res := admin.Do(http.MethodDelete, s.AdminURL("/admin/sessions/"+sid[2]), nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("admin revoke: %d %s", res.StatusCode, res.Body)
	}
	if res := owner.Do(http.MethodDelete, s.PublicURL("/sessions"), nil, own); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke my others: %d %s", res.StatusCode, res.Body)
	}
	if res := owner.Do(http.MethodDelete, s.PublicURL("/sessions"), nil, own); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke my others again: %d %s", res.StatusCode, res.Body)
	}
	res := s.Native(t).Do(http.MethodDelete, s.PublicURL("/self-service/logout/api"), strings.NewReader(`{"session_token":"`+tokens[0]+`"}`),
		http.Header{"Content-Type": {"application/json"}})
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("native logout: %d %s", res.StatusCode, res.Body)
	}
	browser := s.Browser(t)
	s.LoginBrowser(t, browser, email, "a long enough password")
	var lf struct {
		LogoutURL string `json:"logout_url"`
	}
	browser.Do(http.MethodGet, s.PublicURL("/self-service/logout/browser"), nil, http.Header{"Accept": {"application/json"}}).JSON(t, &lf)
	if res := browser.Get(lf.LogoutURL); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("browser logout: %d %s", res.StatusCode, res.Body)
	}
	// Nothing live: revoking all records nothing; then one more session, and it does.
	for range 2 {
		if res := admin.Do(http.MethodDelete, s.AdminURL("/admin/identities/"+ids+"/sessions"), nil, nil); res.StatusCode != http.StatusNoContent {
			t.Fatalf("admin revoke all: %d", res.StatusCode)
		}
		s.LoginNative(t, email, "a long enough password")
	}

	var got []string
	for _, ev := range trail(t, s, ids) {
		if ev.Type != "session_revoked" {
			continue
		}
		sess := "-"
		if ev.SessionID != nil {
			sess = map[string]string{sid[0]: "s0", sid[1]: "s1", sid[2]: "s2", sid[3]: "s3"}[*ev.SessionID]
			if sess == "" {
				sess = "browser"
			}
		}
		line := fmt.Sprint(ev.Details["by"], " ", sess)
		if ev.Details["others"] == true {
			line += " others"
		}
		if ev.Details["all"] == true {
			line += " all"
		}
		got = append(got, line)
	}
	want := "admin - all|logout browser|logout s0|self s0 others|admin s2|self s1"
	if strings.Join(got, "|") != want {
		t.Fatalf("revocations (newest first) = %q, want %q", strings.Join(got, "|"), want)
	}
}

// TestAdminChangeTrail: an administrator's create, update (PUT), patch, credential deletion
// and deletion of an identity are each recorded with what changed (never the value); a
// change the API refuses records nothing; the trail outlives the deleted identity.
func TestAdminChangeTrail(t *testing.T) {
	s := apptest.Start(t)
	admin := s.Native(t)
	traits := func(email string) map[string]any {
		return map[string]any{"email": email, "name": map[string]any{"first": "Ada", "last": "Lovelace"}}
	}
	res := admin.PostJSON(s.AdminURL("/admin/identities"), map[string]any{"schema_id": "default", "traits": traits(apptest.Email("admin-made")),
		"credentials": map[string]any{"password": map[string]any{"config": map[string]any{"password": "a long enough password"}}}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	var made struct{ ID string }
	res.JSON(t, &made)
	id := made.ID

	put := func(body map[string]any) *apptest.Response {
		b, _ := json.Marshal(body)
		return admin.Do(http.MethodPut, s.AdminURL("/admin/identities/"+id), strings.NewReader(string(b)), http.Header{"Content-Type": {"application/json"}})
	}
	if res := put(map[string]any{"schema_id": "default", "state": "active", "traits": traits(apptest.Email("admin-moved"))}); res.StatusCode != http.StatusOK {
		t.Fatalf("update: %d %s", res.StatusCode, res.Body)
	}
	// Refused: traits that break the schema.
	if res := put(map[string]any{"schema_id": "default", "state": "active", "traits": map[string]any{"email": 7}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad update: %d %s", res.StatusCode, res.Body)
	}
	patch := `[{"op":"replace","path":"/metadata_public","value":{"plan":"pro"}}]`
	if res := admin.Do(http.MethodPatch, s.AdminURL("/admin/identities/"+id), strings.NewReader(patch), http.Header{"Content-Type": {"application/json"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
	}
	// Refused: the password is the identity's only way to sign in.
	if res := admin.Do(http.MethodDelete, s.AdminURL("/admin/identities/"+id+"/credentials/password"), nil, nil); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("delete the last password: %d %s", res.StatusCode, res.Body)
	}
	ident, err := s.App.Store.GetIdentity(t.Context(), uuidOf(t, id), true)
	if err != nil {
		t.Fatal(err)
	}
	ident.Credentials[identity.CredentialsLookupSecret] = identity.Credentials{Type: identity.CredentialsLookupSecret, Config: json.RawMessage(`{"recovery_codes":[]}`)}
	if err := s.App.Store.UpdateIdentity(t.Context(), ident); err != nil {
		t.Fatal(err)
	}
	if res := admin.Do(http.MethodDelete, s.AdminURL("/admin/identities/"+id+"/credentials/lookup_secret"), nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete lookup codes: %d %s", res.StatusCode, res.Body)
	}
	if res := admin.Do(http.MethodDelete, s.AdminURL("/admin/identities/"+id), nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Body)
	}

	var got []string
	for _, ev := range trail(t, s, id) {
		if ev.Details["by"] != "admin" || ev.IdentityID == nil || *ev.IdentityID != id || ev.SessionID != nil {
			t.Errorf("event %+v", ev)
		}
		line := ev.Type
		for _, k := range []string{"type", "via"} {
			if v, ok := ev.Details[k]; ok {
				line += " " + fmt.Sprint(v)
			}
		}
		got = append(got, line)
	}
	// The PUT's new address is also the password's new identifier.
	want := "identity_deleted|identity_credential_deleted lookup_secret|credential_removed lookup_secret|identity_updated|" +
		"identity_updated|address_changed email|credential_changed password|identity_created"
	if strings.Join(got, "|") != want {
		t.Fatalf("trail (newest first) = %q\nwant %q", strings.Join(got, "|"), want)
	}
	rows, _ := allRows(t, s)
	for _, row := range rows {
		if strings.Contains(row, "admin-moved") || strings.Contains(row, "admin-made") {
			t.Fatalf("an event keeps an address: %s", row)
		}
	}
}

func uuidOf(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// submitSettings posts values (nested for traits) to settings flow f as fc's kind of client.
func submitSettings(t *testing.T, fc *apptest.FlowClient, f *apptest.Flow, values map[string]any) int {
	t.Helper()
	target := fc.S.PublicURL("/self-service/settings?flow=" + f.ID)
	if fc.As == "browser" {
		form := url.Values{"csrf_token": {f.CSRF}}
		var flatten func(prefix string, v any)
		flatten = func(prefix string, v any) {
			if m, ok := v.(map[string]any); ok {
				for k, x := range m {
					flatten(strings.TrimPrefix(prefix+"."+k, "."), x)
				}
				return
			}
			form.Set(prefix, fmt.Sprint(v))
		}
		flatten("", values)
		return fc.C.PostForm(target, form).StatusCode
	}
	if fc.As == "spa" {
		values["csrf_token"] = f.CSRF
	}
	return fc.C.PostJSON(target, values).StatusCode
}

// TestSettingsTrail: as a browser, an SPA and a native app, a new password and a new e-mail
// address made in settings are recorded in the write that stores them, with the session that
// made them and the device; a profile edit that changes neither records nothing.
func TestSettingsTrail(t *testing.T) {
	s := apptest.Start(t)
	for _, fc := range s.FlowClients(t, "settings") {
		t.Run(fc.As, func(t *testing.T) {
			email, id, token := signedUp(t, s, "settings-"+fc.As)
			fc.C.Header.Set("User-Agent", "TrailTest/"+fc.As)
			name := map[string]any{"first": "Grace", "last": "Hopper"}
			settingsSteps(t, fc, token,
				map[string]any{"method": "profile", "traits": map[string]any{"email": email, "name": name}},
				map[string]any{"method": "password", "password": "an entirely new passphrase"},
				map[string]any{"method": "profile", "traits": map[string]any{"email": apptest.Email("moved-" + fc.As), "name": name}},
			)
			var who struct{ ID string }
			s.Native(t).Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"X-Session-Token": {token}}).JSON(t, &who)
			evs := trail(t, s, id.ID.String())
			var got []string
			for _, ev := range evs {
				if ev.SessionID == nil || *ev.SessionID != who.ID || ev.UserAgent != "TrailTest/"+fc.As || ev.IPAddress != "127.0.0.1" || ev.Details["by"] != "self" {
					t.Errorf("event %+v", ev)
				}
				got = append(got, fmt.Sprint(ev.Type, " ", ev.Details["type"], ev.Details["via"]))
			}
			// Newest first; the new address is also the password's new identifier.
			want := "address_changed <nil>email|credential_changed password<nil>|credential_changed password<nil>"
			if strings.Join(got, "|") != want {
				t.Fatalf("trail = %q\nwant %q", strings.Join(got, "|"), want)
			}
		})
	}
}

// TestVerificationTrail: an address verified with a code is recorded once, in the write that
// marks it; a wrong code records nothing.
func TestVerificationTrail(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true"))
	mail := s.StartMail(t)
	for _, fc := range s.FlowClients(t, "verification") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email("verify-" + fc.As)
			id := s.CreateIdentity(t, email, "a long enough password")
			f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			code := mail.Code(t, email)
			f = fc.Submit(t, f, map[string]string{"method": "code", "code": apptest.WrongCode(code, 1)})
			f = fc.Submit(t, f, map[string]string{"method": "code", "code": code})
			if f.State != "passed_challenge" {
				t.Fatalf("state %q", f.State)
			}
			evs := trail(t, s, id.ID.String())
			if types(evs) != "address_verified" || evs[0].Details["via"] != "email" || evs[0].IPAddress != "127.0.0.1" {
				t.Fatalf("trail = %+v", evs)
			}
		})
	}
}

// settingsSteps signs fc in with session token and submits each step to a new settings flow.
func settingsSteps(t *testing.T, fc *apptest.FlowClient, token string, steps ...map[string]any) {
	t.Helper()
	if fc.As == "native" {
		fc.C.Header.Set("X-Session-Token", token)
	} else {
		fc.C.SetSessionCookie(fc.S, token)
	}
	for i, v := range steps {
		if st := submitSettings(t, fc, fc.Start(t), v); st != http.StatusOK && st != http.StatusSeeOther {
			t.Fatalf("step %d: %d", i, st)
		}
	}
}

// signedUp creates an identity with an address made of prefix and returns it with the address
// and an aal1 session token of it.
func signedUp(t *testing.T, s *apptest.Server, prefix string) (string, *identity.Identity, string) {
	t.Helper()
	email := apptest.Email(prefix)
	id := s.CreateIdentity(t, email, "a long enough password")
	return email, id, s.IssueSession(t, id, "aal1")
}
