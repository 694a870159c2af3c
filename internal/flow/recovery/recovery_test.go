package recovery_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

const oldPassword = "the forgotten old password"

func start(t *testing.T, opts ...apptest.Option) (*apptest.Server, *apptest.Mail) {
	t.Helper()
	s := apptest.Start(t, append([]apptest.Option{apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true")}, opts...)...)
	return s, s.StartMail(t)
}

// settingsFlow is where a successful recovery sends fc: the settings flow's id, and for a
// native app the session token.
func recoverWith(t *testing.T, s *apptest.Server, fc *apptest.FlowClient, f *apptest.Flow, code string) (settingsID, token string) {
	t.Helper()
	switch fc.As {
	case "browser":
		res := fc.C.PostForm(s.PublicURL("/self-service/recovery?flow="+f.ID), map[string][]string{"method": {"code"}, "code": {code}, "csrf_token": {f.CSRF}})
		loc := apptest.URL(t, res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/ui/settings" {
			t.Fatalf("browser recovery: %d to %s: %s", res.StatusCode, loc, res.Body)
		}
		return loc.Query().Get("flow"), ""
	case "spa":
		res := fc.C.PostJSON(s.PublicURL("/self-service/recovery?flow="+f.ID), map[string]any{"method": "code", "code": code, "csrf_token": f.CSRF})
		var e struct {
			Error struct {
				ID string `json:"id"`
			} `json:"error"`
			RedirectBrowserTo string `json:"redirect_browser_to"`
		}
		res.JSON(t, &e)
		if res.StatusCode != http.StatusUnprocessableEntity || e.Error.ID != "browser_location_change_required" {
			t.Fatalf("spa recovery: %d %s", res.StatusCode, res.Body)
		}
		return apptest.URL(t, e.RedirectBrowserTo).Query().Get("flow"), ""
	}
	res := fc.C.PostJSON(s.PublicURL("/self-service/recovery?flow="+f.ID), map[string]any{"method": "code", "code": code})
	var out struct {
		State        string `json:"state"`
		ContinueWith []struct {
			Action          string `json:"action"`
			OrySessionToken string `json:"ory_session_token"`
			Flow            struct {
				ID string `json:"id"`
			} `json:"flow"`
		} `json:"continue_with"`
	}
	res.JSON(t, &out)
	if res.StatusCode != http.StatusOK || out.State != "passed_challenge" || len(out.ContinueWith) != 2 ||
		out.ContinueWith[0].Action != "set_ory_session_token" || out.ContinueWith[1].Action != "show_settings_ui" {
		t.Fatalf("native recovery: %d %s", res.StatusCode, res.Body)
	}
	// The stored flow never carries the session token.
	again := fc.Read(t, f.ID)
	if strings.Contains(string(again.Raw.Body), out.ContinueWith[0].OrySessionToken) {
		t.Fatalf("the stored flow holds the session token: %s", again.Raw.Body)
	}
	return out.ContinueWith[1].Flow.ID, out.ContinueWith[0].OrySessionToken
}

// newPassword sets password in settings flow id as fc (with token for a native app).
func newPassword(t *testing.T, s *apptest.Server, fc *apptest.FlowClient, id, token, password string) {
	t.Helper()
	hdr := http.Header{"Accept": {"application/json"}}
	if token != "" {
		hdr.Set("X-Session-Token", token)
	}
	get := fc.C.Do(http.MethodGet, s.PublicURL("/self-service/settings/flows?id="+id), nil, hdr)
	var f struct {
		UI struct {
			Messages []struct {
				ID int `json:"id"`
			} `json:"messages"`
		} `json:"ui"`
	}
	get.JSON(t, &f)
	if get.StatusCode != http.StatusOK || len(f.UI.Messages) == 0 || f.UI.Messages[0].ID != text.InfoRecoverySuccessful {
		t.Fatalf("%s: settings flow after recovery: %d %s", fc.As, get.StatusCode, get.Body)
	}
	body := map[string]any{"method": "password", "password": password}
	if token == "" {
		body["csrf_token"] = apptest.CSRFToken(t, get)
	}
	hdr.Set("Content-Type", "application/json")
	res := fc.C.Do(http.MethodPost, s.PublicURL("/self-service/settings?flow="+id), strings.NewReader(mustJSON(body)), hdr)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: new password: %d %s", fc.As, res.StatusCode, res.Body)
	}
	// The saved flow carries only "saved", as Kratos's does: the recovery's message was for
	// the form before the change (the UI showed both).
	for name, r := range map[string]*apptest.Response{"reply": res,
		"flow": fc.C.Do(http.MethodGet, s.PublicURL("/self-service/settings/flows?id="+id), nil, hdr)} {
		f.UI.Messages = nil
		r.JSON(t, &f)
		if len(f.UI.Messages) != 1 || f.UI.Messages[0].ID != text.InfoSettingsUpdateSuccess {
			t.Errorf("%s: %s after the new password: messages %+v", fc.As, name, f.UI.Messages)
		}
	}
}

func mustJSON(v map[string]any) string {
	var b strings.Builder
	b.WriteString("{")
	first := true
	for k, val := range v {
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, "%q:%q", k, val)
	}
	b.WriteString("}")
	return b.String()
}

// TestForgotPassword: as a browser, an SPA and a native app: forgot password → code from the
// real message → a privileged session and a settings flow → new password → sign in with it
// (and not with the old one).
func TestForgotPassword(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "recovery") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-forgot")
			s.CreateIdentity(t, email, oldPassword)
			f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			fc.Want(t, f, http.StatusOK, "sent_email", text.InfoRecoveryEmailWithCodeSent)
			code := mail.Code(t, email)
			settingsID, token := recoverWith(t, s, fc, f, code)
			newPassword(t, s, fc, settingsID, token, "a brand new passphrase 42")
			if tok := s.LoginNative(t, email, "a brand new passphrase 42"); tok == "" {
				t.Fatal("no session with the new password")
			}
			c := s.Native(t)
			var lf struct{ ID string }
			c.Get(s.PublicURL("/self-service/login/api")).JSON(t, &lf)
			old := c.PostJSON(s.PublicURL("/self-service/login?flow="+lf.ID), map[string]any{"method": "password", "identifier": email, "password": oldPassword})
			if old.StatusCode != http.StatusBadRequest {
				t.Fatalf("the old password still works: %d", old.StatusCode)
			}
			// The flow is done: the code cannot be used again (a browser now holds a session,
			// so only the native app, which keeps no cookies, can try).
			if fc.As == "native" {
				again := fc.Submit(t, f, map[string]string{"method": "code", "code": code})
				fc.Want(t, again, http.StatusBadRequest, "passed_challenge", text.ErrorValidationRecoveryRetrySuccess)
			}
		})
	}
}

// TestBadCodes: wrong and expired codes are refused with 4060006; after five wrong codes the
// flow is replaced (4000001) and the right code no longer recovers.
func TestBadCodes(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "recovery") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-bad")
			s.CreateIdentity(t, email, oldPassword)
			f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			code := mail.Code(t, email)
			wrong := func(i int) string { return apptest.WrongCode(code, i) }
			s.Clock.Advance(16 * time.Minute)
			fc.Want(t, fc.Submit(t, f, map[string]string{"method": "code", "code": code}), http.StatusBadRequest, "sent_email", text.ErrorValidationRecoveryCodeInvalid)
			f = fc.Submit(t, f, map[string]string{"method": "code", "email": email})
			code = mail.Code(t, email)
			for i := range 5 {
				fc.Want(t, fc.Submit(t, f, map[string]string{"method": "code", "code": wrong(i)}), http.StatusBadRequest, "sent_email", text.ErrorValidationRecoveryCodeInvalid)
			}
			r := fc.Submit(t, f, map[string]string{"method": "code", "code": code})
			fc.Want(t, r, http.StatusBadRequest, "choose_method", text.ErrorValidationGeneric)
			if r.ID == f.ID {
				t.Fatal("no new flow after too many codes")
			}
		})
	}
}

// TestInactiveCannotRecover: a code sent before the account was deactivated is refused
// (4060006) and signs nobody in.
func TestInactiveCannotRecover(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "recovery") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-inactive")
			id := s.CreateIdentity(t, email, oldPassword)
			f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			code := mail.Code(t, email)
			id.State, id.StateChangedAt = identity.StateInactive, nil
			if err := s.App.Identities.Update(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			fc.Want(t, fc.Submit(t, f, map[string]string{"method": "code", "code": code}), http.StatusBadRequest, "sent_email", text.ErrorValidationRecoveryCodeInvalid)
			// Inactive now, the account gets no new code (the reply is a known address's).
			mail.Deliver(t)
			before := len(mail.Box.Mails())
			again := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			fc.Want(t, again, http.StatusOK, "sent_email", text.InfoRecoveryEmailWithCodeSent)
			mail.Deliver(t)
			if n := len(mail.Box.Mails()); n != before {
				t.Fatalf("the inactive account got %d new messages", n-before)
			}
		})
	}
}

// TestUnknownAddress: an address no identity holds gets the same reply as a known one, and no
// message unless notify_unknown_recipients is on (then the "invalid" one, without a code).
func TestUnknownAddress(t *testing.T) {
	for _, notify := range []bool{false, true} {
		t.Run(fmt.Sprint("notify=", notify), func(t *testing.T) {
			s, mail := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_NOTIFY_UNKNOWN_RECIPIENTS", fmt.Sprint(notify)))
			knownAddr, nobodyAddr := apptest.Email("known"), apptest.Email("nobody")
			s.CreateIdentity(t, knownAddr, oldPassword)
			for _, fc := range s.FlowClients(t, "recovery") {
				known := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": knownAddr})
				unknown := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": nobodyAddr})
				if a, b := apptest.Shape(known, knownAddr), apptest.Shape(unknown, nobodyAddr); a != b {
					t.Fatalf("%s: replies differ:\nknown   %s\nunknown %s", fc.As, a, b)
				}
			}
			mail.Deliver(t)
			n := 0
			for _, m := range mail.Box.Mails() {
				if m.To[0] == nobodyAddr {
					n++
					if apptest.HasCodeLine(m.Text) {
						t.Fatalf("the unknown address got a code: %q", m.Text)
					}
				}
			}
			if notify && n != 3 || !notify && n != 0 {
				t.Fatalf("notify=%v: %d messages to the unknown address", notify, n)
			}
		})
	}
}

// TestSignedInCannotRecover: with a session, starting a recovery is refused (JSON) or sent
// back to the return URL (browser).
func TestSignedInCannotRecover(t *testing.T) {
	s, _ := start(t)
	token := s.RegisterNative(t, apptest.Email("signed-in"), oldPassword)
	c := s.Native(t)
	c.Header.Set("X-Session-Token", token)
	r := c.Get(s.PublicURL("/self-service/recovery/api"))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), "session_already_available") {
		t.Fatalf("recovery with a session: %d %s", r.StatusCode, r.Body)
	}
}
