package browsertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/portico-auth/portico/internal/apptest"
)

const (
	email       = "ada@example.com"
	oldPassword = "correct horse battery staple 1815"
	newPassword = "analytical engine notes 1843 G"
)

// page waits for the page named name (main[data-page]) to be shown.
func page(name string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`main[data-page="` + name + `"]`))
}

// step runs actions, failing the test with what was being done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\nat %s\npage text:\n%s", what, err, loc, body)
	}
}

// text returns the text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func exists(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	q, _ := json.Marshal(sel)
	found, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.querySelector("+string(q)+") !== null"))
	if err != nil {
		t.Fatalf("look for %s: %v", sel, err)
	}
	return found
}

// TestJourney is a person's first visit: register, see the welcome page, change their name,
// change their password (confirming who they are first), enrol TOTP when the server offers it,
// sign out other devices and themselves, and sign in again.
func TestJourney(t *testing.T) {
	// A short privileged window, so the password change needs a refresh login once the fake
	// clock has moved on.
	s := apptest.Start(t,
		apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE", "5m"),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
	)
	ctx := newBrowser(t, 90*time.Second)
	shots := screenshotDir(t)
	t.Logf("screenshots in %s", shots)

	// Registration, reached the way a person would: the page starts the flow itself.
	step(t, ctx, "open registration", chromedp.Navigate(s.PublicURL("/ui/registration")), page("registration"))
	screenshots(t, ctx, shots, "01-registration")
	form := `#form-password `
	step(t, ctx, "register",
		chromedp.SendKeys(chromedp.CSS(form+`input[name="traits.email"]`), email),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="traits.name.first"]`), "Ada"),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="traits.name.last"]`), "Lovelace"),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="password"]`), oldPassword),
		chromedp.Click(chromedp.CSS(form+`button[name="method"][value="password"]`)),
		page("welcome"),
	)
	if got := text(t, ctx, "#traits"); !strings.Contains(got, email) || !strings.Contains(got, "Ada") {
		t.Fatalf("welcome page traits = %q, want the e-mail and the name", got)
	}
	screenshots(t, ctx, shots, "02-welcome")

	// Settings: change the first name (no refresh needed for a non-identifier trait).
	step(t, ctx, "open settings", chromedp.Click(chromedp.CSS("#to-settings")), page("settings"))
	screenshots(t, ctx, shots, "03-settings")
	step(t, ctx, "change name",
		chromedp.Clear(chromedp.CSS(`#form-profile input[name="traits.name.first"]`)),
		chromedp.SendKeys(chromedp.CSS(`#form-profile input[name="traits.name.first"]`), "Augusta Ada"),
		chromedp.Click(chromedp.CSS(`#form-profile button[name="method"][value="profile"]`)),
		page("settings"),
		chromedp.WaitVisible(chromedp.CSS(".msg-success")),
	)
	if got := text(t, ctx, ".msg-success"); got != "Your changes have been saved!" {
		t.Fatalf("after saving the name the page says %q", got)
	}
	screenshots(t, ctx, shots, "04-settings-saved")

	// Password: past the privileged window the server asks who it is first, then applies the
	// change without a second submit.
	s.Clock.Advance(10 * time.Minute)
	step(t, ctx, "change password",
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name="password"]`), newPassword),
		chromedp.Click(chromedp.CSS(`#form-password button[name="method"][value="password"]`)),
		page("login"),
	)
	screenshots(t, ctx, shots, "05-login-refresh")
	if exists(t, ctx, `#form-password input[name="identifier"]:not([type="hidden"])`) {
		if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#form-password input[name="identifier"]`))); v == "" {
			step(t, ctx, "fill identifier", chromedp.SendKeys(chromedp.CSS(`#form-password input[name="identifier"]`), email))
		}
	}
	step(t, ctx, "confirm with the current password",
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name="password"]`), oldPassword),
		chromedp.Click(chromedp.CSS(`#form-password button[name="method"][value="password"]`)),
		page("settings"),
		chromedp.WaitVisible(chromedp.CSS(".msg-success")),
	)
	if got := text(t, ctx, ".msg-success"); got != "Your changes have been saved!" {
		t.Fatalf("after the refresh login the settings page says %q", got)
	}

	// TOTP enrolment, when the server offers it (the TOTP method arrives in a later issue).
	enrolled, secret := false, ""
	step(t, ctx, "back to settings", chromedp.Navigate(s.PublicURL("/ui/settings")), page("settings"))
	if exists(t, ctx, `#form-totp input[name="totp_code"]`) {
		secret = text(t, ctx, "#form-totp code.secret")
		code, err := totp.GenerateCode(secret, s.Clock.Now())
		if err != nil {
			t.Fatalf("totp code from the page's secret %q: %v", secret, err)
		}
		screenshots(t, ctx, shots, "06-settings-totp")
		step(t, ctx, "enrol totp",
			chromedp.SendKeys(chromedp.CSS(`#form-totp input[name="totp_code"]`), code),
			chromedp.Click(chromedp.CSS(`#form-totp button[name="method"][value="totp"]`)),
			page("settings"),
			chromedp.WaitVisible(chromedp.CSS(".msg-success")),
		)
		enrolled = true
	} else {
		t.Log("the settings page offers no TOTP: skipping enrolment and the second factor at sign-in")
	}

	// Another device signs in; the welcome page lists it and signs it out.
	s.LoginNative(t, email, newPassword)
	step(t, ctx, "open welcome", chromedp.Navigate(s.PublicURL("/ui/welcome")),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="welcome"], main[data-page="login"]`)))
	if enrolled && exists(t, ctx, `main[data-page="login"] #form-totp input[name="totp_code"]`) {
		// With a second factor enrolled, an aal1 session is asked to step up first.
		secondFactor(t, ctx, s, secret)
	}
	step(t, ctx, "welcome with two sessions", page("welcome"), chromedp.WaitVisible(chromedp.CSS("#revoke-others-submit")))
	screenshots(t, ctx, shots, "07-welcome-two-sessions")
	step(t, ctx, "sign out other devices",
		chromedp.Click(chromedp.CSS("#revoke-others-submit")),
		page("welcome"),
		chromedp.WaitVisible(chromedp.CSS("#revoked")),
	)
	if exists(t, ctx, "#revoke-others-submit") {
		t.Fatal("the other session is still listed after signing out other devices")
	}

	// Sign out: the logout URL ends the session and the visitor lands on the sign-in page.
	step(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#logout")), page("login"))
	screenshots(t, ctx, shots, "08-login")

	// Sign in with the new password (and TOTP when enrolled).
	step(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name="identifier"]`), email),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name="password"]`), newPassword),
		chromedp.Click(chromedp.CSS(`#form-password button[name="method"][value="password"]`)),
	)
	if enrolled {
		step(t, ctx, "second factor page", page("login"), chromedp.WaitVisible(chromedp.CSS(`#form-totp input[name="totp_code"]`)))
		screenshots(t, ctx, shots, "09-login-totp")
		secondFactor(t, ctx, s, secret)
	}
	step(t, ctx, "signed in again", page("welcome"))
	if got := text(t, ctx, "#traits"); !strings.Contains(got, "Augusta Ada") {
		t.Fatalf("welcome page traits = %q, want the changed name", got)
	}
	screenshots(t, ctx, shots, "10-welcome-again")
}

// secondFactor answers the TOTP form of the login page shown with a code for secret.
func secondFactor(t *testing.T, ctx context.Context, s *apptest.Server, secret string) {
	t.Helper()
	s.Clock.Advance(time.Minute) // a fresh code: a used one must not be accepted twice
	code, err := totp.GenerateCode(secret, s.Clock.Now())
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	step(t, ctx, "second factor",
		chromedp.SendKeys(chromedp.CSS(`#form-totp input[name="totp_code"]`), code),
		chromedp.Click(chromedp.CSS(`#form-totp button[name="method"][value="totp"]`)),
	)
}
