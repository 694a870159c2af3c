package throttle_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/throttle"
)

const (
	ownerEmail = "owner@example.com"
	ownerPass  = "the owner's long passphrase"
)

// attempt submits one password sign-in as c: through a browser flow when c keeps cookies
// (answered as JSON, as an SPA asks), through an API flow otherwise. hdr is added to the submission.
func attempt(t *testing.T, s *apptest.Server, c *apptest.Client, identifier, password string, hdr http.Header) *apptest.Response {
	t.Helper()
	body := map[string]any{"method": "password", "identifier": identifier, "password": password}
	var id string
	if c.HTTP.Jar != nil {
		// The sign-in before is over (the session ended); what stays is the device cookie.
		c.HTTP.Jar.SetCookies(apptest.URL(t, s.PublicURL("/")), []*http.Cookie{{Name: s.Config.Session.Cookie.Name, Path: "/", MaxAge: -1}})
		var csrf string
		id, csrf = s.BrowserFlow(t, c, "login")
		body["csrf_token"] = csrf
	} else {
		res := c.Get(s.PublicURL("/self-service/login/api"))
		var f struct{ ID string }
		res.JSON(t, &f)
		id = f.ID
	}
	b, _ := json.Marshal(body)
	h := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	for k, v := range hdr {
		h[k] = v
	}
	return c.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+id), bytes.NewReader(b), h)
}

func wantStatus(t *testing.T, r *apptest.Response, status int, what string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: %d, want %d: %s", what, r.StatusCode, status, r.Body)
	}
}

// lockOut uses up the identifier's budget from an anonymous client, with case variants of
// the identifier (they share one count), and checks that the right password is refused there.
func lockOut(t *testing.T, s *apptest.Server, attacker *apptest.Client) {
	t.Helper()
	variants := []string{ownerEmail, "Owner@Example.com", "OWNER@example.com", " owner@example.com", "owner@EXAMPLE.com"}
	for _, v := range variants {
		wantStatus(t, attempt(t, s, attacker, v, "guess", nil), http.StatusBadRequest, "attacker's guess")
	}
	wantStatus(t, attempt(t, s, attacker, ownerEmail, ownerPass, nil), http.StatusTooManyRequests, "right password from the attacker after the lock-out")
}

// TestOwnerDeviceSurvivesLockout (issue 19 finding 1): an attacker who burns the identifier's
// budget cannot lock out the owner's browser, which signed in before and holds a device cookie.
func TestOwnerDeviceSurvivesLockout(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, ownerEmail, ownerPass)
	owner := s.Browser(t)
	first := attempt(t, s, owner, ownerEmail, ownerPass, nil)
	wantStatus(t, first, http.StatusOK, "owner's first sign-in")
	var device *http.Cookie
	for _, c := range first.Cookies() {
		if c.Name == throttle.DeviceCookieName {
			device = c
		}
	}
	if device == nil {
		t.Fatalf("no device cookie after a sign-in: %v", first.Header.Values("Set-Cookie"))
	}
	if !device.HttpOnly || device.SameSite != http.SameSiteLaxMode || device.MaxAge <= 0 {
		t.Fatalf("device cookie attributes: %+v", device)
	}

	lockOut(t, s, s.Native(t))
	wantStatus(t, attempt(t, s, owner, ownerEmail, ownerPass, nil), http.StatusOK, "owner's device after the lock-out")
	// The owner's device even survives its own typo and the attacker's next round.
	wantStatus(t, attempt(t, s, owner, ownerEmail, "typo", nil), http.StatusBadRequest, "owner's typo")
	wantStatus(t, attempt(t, s, owner, ownerEmail, ownerPass, nil), http.StatusOK, "owner's device after a typo")
}

// TestForeignDeviceCookieDoesNotHelp: a device cookie of the attacker's own identity, or a
// forged one, gives no budget for someone else's identifier.
func TestForeignDeviceCookieDoesNotHelp(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, ownerEmail, ownerPass)
	s.CreateIdentity(t, "attacker@example.com", "the attacker's own passphrase")
	attacker := s.Browser(t)
	wantStatus(t, attempt(t, s, attacker, "attacker@example.com", "the attacker's own passphrase", nil), http.StatusOK, "attacker's own sign-in")
	if !hasCookie(t, s, attacker, throttle.DeviceCookieName) {
		t.Fatal("the attacker got no device cookie for their own identity")
	}
	lockOut(t, s, attacker)

	for _, v := range []string{"AQ", strings.Repeat("A", 98), "not-base64", forgedFor(t, s)} {
		forged := s.Browser(t)
		forged.HTTP.Jar.SetCookies(apptest.URL(t, s.PublicURL("/")), []*http.Cookie{{Name: throttle.DeviceCookieName, Value: v, Path: "/"}})
		wantStatus(t, attempt(t, s, forged, ownerEmail, ownerPass, nil), http.StatusTooManyRequests, fmt.Sprintf("forged device cookie %q", v))
	}
}

// forgedFor is a well-formed device cookie for the owner signed with another secret.
func forgedFor(t *testing.T, s *apptest.Server) string {
	t.Helper()
	owner, err := s.App.Store.FindByCredentialsIdentifier(t.Context(), "password", ownerEmail)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	throttle.NewDevices([]string{"some-other-secret-of-32-characters"}, throttle.DeviceOptions{Now: s.Clock.Now}).Remember(rec, owner.ID)
	for _, c := range rec.Result().Cookies() {
		return c.Value
	}
	t.Fatal("no cookie made")
	return ""
}

// TestDeviceBudgetThrottles: a trusted device has a budget of its own, and it runs out too;
// the identifier's shared budget is untouched by it.
func TestDeviceBudgetThrottles(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, ownerEmail, ownerPass)
	dev := s.Browser(t)
	wantStatus(t, attempt(t, s, dev, ownerEmail, ownerPass, nil), http.StatusOK, "sign-in that makes the device")
	for i := range throttle.DefaultDevice.Max {
		wantStatus(t, attempt(t, s, dev, ownerEmail, "wrong", nil), http.StatusBadRequest, fmt.Sprintf("device guess %d", i))
	}
	wantStatus(t, attempt(t, s, dev, ownerEmail, ownerPass, nil), http.StatusTooManyRequests, "device after its budget")
	wantStatus(t, attempt(t, s, s.Native(t), ownerEmail, ownerPass, nil), http.StatusOK, "another client, on the identifier's budget")
	s.Clock.Advance(throttle.DefaultDevice.Window + time.Second)
	wantStatus(t, attempt(t, s, dev, ownerEmail, ownerPass, nil), http.StatusOK, "device after the window")
}

func hasCookie(t *testing.T, s *apptest.Server, c *apptest.Client, name string) bool {
	for _, ck := range c.HTTP.Jar.Cookies(apptest.URL(t, s.PublicURL("/"))) {
		if ck.Name == name {
			return true
		}
	}
	return false
}

// TestOwnerDeviceReauthenticatesAfterLockout: the owner, signed in on a trusted device, can
// still re-authenticate (a refresh login, as privileged settings need) while an attacker keeps
// the identifier locked.
func TestOwnerDeviceReauthenticatesAfterLockout(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, ownerEmail, ownerPass)
	owner := s.Browser(t)
	s.LoginBrowser(t, owner, ownerEmail, ownerPass)
	lockOut(t, s, s.Native(t))

	res := owner.Get(s.PublicURL("/self-service/login/browser?refresh=true"))
	wantStatus(t, res, http.StatusSeeOther, "refresh flow")
	id := apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
	f := owner.Do(http.MethodGet, s.PublicURL("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
	r := owner.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+id),
		strings.NewReader(`{"method":"password","identifier":"`+ownerEmail+`","password":"`+ownerPass+`","csrf_token":"`+apptest.CSRFToken(t, f)+`"}`),
		http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}})
	wantStatus(t, r, http.StatusOK, "owner's refresh login during the lock-out")
}
