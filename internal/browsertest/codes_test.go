package browsertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestVerificationAndRecoveryJourney: a person signs up through the built-in UI and is taken to
// /ui/verification, types the code from the real message the in-process SMTP server received and
// sees the address verified; signs out, forgets the password, follows "Forgot password?" on the
// sign-in page to /ui/recovery, types the code from the recovery message, lands on the settings
// page signed in, sets a new password, and signs in with it.
func TestVerificationAndRecoveryJourney(t *testing.T) {
	s := apptest.Start(t,
		apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true"),
		apptest.WithConfig(apptest.ShowVerificationUI))
	mail := s.StartMail(t)
	ctx := newBrowser(t, 90*time.Second)
	shots := screenshotDir(t)
	address := apptest.Email("grace")
	const first, second = "a first passphrase of some length 1906", "compilers and nanoseconds 1952"

	step(t, ctx, "open registration", chromedp.Navigate(s.PublicURL("/ui/registration")), page("registration"))
	form := `#form-password `
	step(t, ctx, "register",
		chromedp.SendKeys(chromedp.CSS(form+`input[name="traits.email"]`), address),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="traits.name.first"]`), "Grace"),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="password"]`), first),
		chromedp.Click(chromedp.CSS(form+`button[name="method"][value="password"]`)),
		page("verification"),
		chromedp.WaitVisible(chromedp.CSS(`#form-code input[name="code"]`)),
	)
	screenshots(t, ctx, shots, "codes-01-verification-sent")
	step(t, ctx, "verify with the code from the message",
		chromedp.SendKeys(chromedp.CSS(`#form-code input[name="code"]`), mail.Code(t, address)),
		chromedp.Click(chromedp.CSS(`#form-code button[name="method"][value="code"]`)),
		page("verification"),
		chromedp.WaitVisible(chromedp.CSS(".msg-success")),
	)
	if got := text(t, ctx, ".msg-success"); got != "You successfully verified your email address." {
		t.Fatalf("after the code the verification page says %q", got)
	}
	screenshots(t, ctx, shots, "codes-02-verified")

	step(t, ctx, "sign out",
		chromedp.Navigate(s.PublicURL("/ui/welcome")), page("welcome"),
		chromedp.Click(chromedp.CSS("#logout")), page("login"),
	)
	step(t, ctx, "forgot password",
		chromedp.Click(chromedp.CSS(`a[href$="/ui/recovery"]`)),
		page("recovery"),
		chromedp.SendKeys(chromedp.CSS(`#form-code input[name="email"]`), address),
		chromedp.Click(chromedp.CSS(`#form-code button[name="method"][value="code"]`)),
		page("recovery"),
		chromedp.WaitVisible(chromedp.CSS(`#form-code input[name="code"]`)),
	)
	screenshots(t, ctx, shots, "codes-03-recovery-sent")
	step(t, ctx, "recover with the code from the message",
		chromedp.SendKeys(chromedp.CSS(`#form-code input[name="code"]`), mail.Code(t, address)),
		chromedp.Click(chromedp.CSS(`#form-code button[name="method"][value="code"]`)),
		page("settings"),
		chromedp.WaitVisible(chromedp.CSS(`#form-password input[name="password"]`)),
	)
	if got := text(t, ctx, "main"); !strings.Contains(got, "You successfully recovered your account.") {
		t.Fatalf("the settings page after recovery does not say so:\n%s", got)
	}
	screenshots(t, ctx, shots, "codes-04-recovered")
	step(t, ctx, "set a new password",
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name="password"]`), second),
		chromedp.Click(chromedp.CSS(`#form-password button[name="method"][value="password"]`)),
	)
	// The recovered page shows a success message already: wait for the one the save brings.
	waitText(t, ctx, `main[data-page="settings"] .messages`, "Your changes have been saved!")

	step(t, ctx, "sign out again",
		chromedp.Navigate(s.PublicURL("/ui/welcome")), page("welcome"),
		chromedp.Click(chromedp.CSS("#logout")), page("login"),
	)
	step(t, ctx, "sign in with the new password",
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name="identifier"]`), address),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name="password"]`), second),
		chromedp.Click(chromedp.CSS(`#form-password button[name="method"][value="password"]`)),
		page("welcome"),
	)
	if got := text(t, ctx, "#traits"); !strings.Contains(got, address) {
		t.Fatalf("welcome page traits = %q, want the address", got)
	}
	screenshots(t, ctx, shots, "codes-05-signed-in")
}

// waitText waits until the element sel holds want, across the navigation a submit starts (a
// page that is replaced while it is read is read again).
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	q, _ := json.Marshal(sel)
	w, _ := json.Marshal(want)
	js := "(() => { const e = document.querySelector(" + string(q) + "); return e !== null && e.textContent.includes(" + string(w) + ") })()"
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	t.Fatalf("%s never said %q; the page:\n%s", sel, want, body)
}

// TestCodeSignUpAndSignInJourney: with passwordless codes on, a person signs up on
// /ui/registration with the code form (traits, then the code from the real message), lands
// signed in, signs out, and signs in on /ui/login with a code.
func TestCodeSignUpAndSignInJourney(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED", "true"))
	mail := s.StartMail(t)
	ctx := newBrowser(t, 90*time.Second)
	shots := screenshotDir(t)
	address := apptest.Email("katherine")

	step(t, ctx, "open registration", chromedp.Navigate(s.PublicURL("/ui/registration")), page("registration"))
	form := `#form-code `
	step(t, ctx, "ask for a sign-up code",
		chromedp.SendKeys(chromedp.CSS(form+`input[name="traits.email"]`), address),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="traits.name.first"]`), "Katherine"),
		chromedp.Click(chromedp.CSS(form+`button[name="method"][value="code"]`)),
		page("registration"),
		chromedp.WaitVisible(chromedp.CSS(form+`input[name="code"]`)),
	)
	screenshots(t, ctx, shots, "codes-11-signup-code-sent")
	step(t, ctx, "sign up with the code from the message",
		chromedp.SendKeys(chromedp.CSS(form+`input[name="code"]`), mail.Code(t, address)),
		chromedp.Click(chromedp.CSS(form+`button[name="method"][value="code"]`)),
		page("welcome"),
	)
	if got := text(t, ctx, "#traits"); !strings.Contains(got, address) || !strings.Contains(got, "Katherine") {
		t.Fatalf("welcome page traits = %q", got)
	}

	step(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#logout")), page("login"))
	step(t, ctx, "ask for a sign-in code",
		chromedp.SendKeys(chromedp.CSS(form+`input[name="identifier"]`), address),
		chromedp.Click(chromedp.CSS(form+`button[name="method"][value="code"]`)),
		page("login"),
		chromedp.WaitVisible(chromedp.CSS(form+`input[name="code"]`)),
	)
	screenshots(t, ctx, shots, "codes-12-signin-code-sent")
	step(t, ctx, "sign in with the code from the message",
		chromedp.SendKeys(chromedp.CSS(form+`input[name="code"]`), mail.Code(t, address)),
		chromedp.Click(chromedp.CSS(form+`button[name="method"][value="code"]`)),
		page("welcome"),
	)
}
