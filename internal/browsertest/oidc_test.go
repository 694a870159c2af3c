package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/oidc/oidctest"
)

// oidcMapper maps the provider's claims to the built-in schema's traits.
const oidcMapper = `local c = std.extVar('claims');
{
  identity: {
    traits: { email: c.email, name: { first: c.given_name, last: 'Lovelace' } },
    verified_addresses: if c.email_verified then [{ value: c.email, via: 'email' }] else [],
  },
}`

// TestSocialJourney runs social sign-in through the built-in UI in Chromium against a real
// OpenID provider on loopback: sign up with the provider's button, sign out, sign in with it,
// link a second account of the same provider in settings and unlink it again.
func TestSocialJourney(t *testing.T) {
	op := oidctest.New(t)
	s := apptest.Start(t, apptest.WithConfig(op.PorticoConfig(oidcMapper)))
	op.Start(t, s.PublicURL("/self-service/methods/oidc/callback/corp"))
	op.AddUser(oidctest.User{ID: "ada", Email: "ada@example.com", EmailVerified: true, GivenName: "Ada"})
	op.AddUser(oidctest.User{ID: "ada-work", Email: "ada@work.example.com", EmailVerified: true, GivenName: "Ada"})
	op.SignInAs("ada")

	ctx := newBrowser(t, 90*time.Second)
	shots := screenshotDir(t)
	provider := `#form-oidc button[name="provider"][value="corp"]`

	step(t, ctx, "open registration", chromedp.Navigate(s.PublicURL("/ui/registration")), page("registration"),
		chromedp.WaitVisible(chromedp.CSS(provider)))
	if got := text(t, ctx, provider); got != "Sign up with Corp ID" {
		t.Fatalf("provider button %q", got)
	}
	screenshots(t, ctx, shots, "oidc-01-registration")
	step(t, ctx, "sign up with the provider", chromedp.Click(chromedp.CSS(provider)), page("welcome"))
	if got := text(t, ctx, "#traits"); !strings.Contains(got, "ada@example.com") || !strings.Contains(got, "Ada") {
		t.Fatalf("welcome page traits = %q", got)
	}

	step(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#logout")), page("login"))
	step(t, ctx, "sign in with the provider", chromedp.WaitVisible(chromedp.CSS(provider)), chromedp.Click(chromedp.CSS(provider)), page("welcome"))
	screenshots(t, ctx, shots, "oidc-02-welcome")

	// Settings: the provider can be linked (a second account); the only account cannot be
	// unlinked, it is the only way to sign in.
	step(t, ctx, "open settings", chromedp.Click(chromedp.CSS("#to-settings")), page("settings"),
		chromedp.WaitVisible(chromedp.CSS(`#form-oidc button[name="link"][value="corp"]`)))
	if exists(t, ctx, `#form-oidc button[name="unlink"]`) {
		t.Fatal("the only way to sign in is offered for unlinking")
	}
	screenshots(t, ctx, shots, "oidc-03-settings")
	op.SignInAs("ada-work")
	step(t, ctx, "link a second account",
		chromedp.Click(chromedp.CSS(`#form-oidc button[name="link"][value="corp"]`)),
		page("settings"), chromedp.WaitVisible(chromedp.CSS(".msg-success")))
	unlinkWork := `#form-oidc button[name="unlink"][value="corp:ada-work"]`
	step(t, ctx, "unlink buttons", chromedp.WaitVisible(chromedp.CSS(unlinkWork)))
	if got := text(t, ctx, unlinkWork); got != "Unlink Corp ID" {
		t.Fatalf("unlink button %q", got)
	}
	screenshots(t, ctx, shots, "oidc-04-settings-linked")
	// The page before also shows the success message: wait for the button to go.
	step(t, ctx, "unlink the second account", chromedp.Click(chromedp.CSS(unlinkWork)),
		chromedp.WaitNotPresent(chromedp.CSS(unlinkWork)), page("settings"), chromedp.WaitVisible(chromedp.CSS(".msg-success")))
	if exists(t, ctx, `#form-oidc button[name="unlink"]`) {
		t.Fatal("an unlink button is left after unlinking the second account")
	}
	step(t, ctx, "sign out again", chromedp.Navigate(s.PublicURL("/ui/welcome")), page("welcome"),
		chromedp.Click(chromedp.CSS("#logout")), page("login"))
	op.SignInAs("ada-work")
	step(t, ctx, "the unlinked account signs up anew", chromedp.Click(chromedp.CSS(provider)), page("welcome"))
	if got := text(t, ctx, "#traits"); !strings.Contains(got, "ada@work.example.com") {
		t.Fatalf("welcome page traits = %q", got)
	}
}
