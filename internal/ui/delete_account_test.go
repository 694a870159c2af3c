package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestSettingsPageShowsDeleteAccount: the built-in settings page shows the delete_account
// group (Portico's own) through the generic renderer, under its own heading: the confirm
// field with its label and the button, in a form of their own with the CSRF token.
func TestSettingsPageShowsDeleteAccount(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_DELETE_ACCOUNT_ENABLED", "true"))
	b := s.BrowserWithSession(t, s.CreateIdentity(t, "page@example.com", "a-long-enough-password"))
	page := b.Get(location(t, b.Get(s.PublicURL("/self-service/settings/browser"))))
	if page.StatusCode != http.StatusOK {
		t.Fatalf("settings page: %d %s", page.StatusCode, page.Body)
	}
	checkPageHeaders(t, page)
	html := string(page.Body)
	form := html[strings.Index(html, `<form id="form-delete_account"`):]
	form = form[:strings.Index(form, "</form>")]
	for _, want := range []string{
		`<h2 id="form-delete_account-title">Delete account</h2>`,
		`name="csrf_token"`,
		`<label for="form-delete_account-delete_account-confirm">Type DELETE to delete this account and everything it holds for good</label>`,
		`name="confirm"`,
		`<button id="form-delete_account-delete_account-method" type="submit" name="method" value="delete_account" class="btn">Delete account</button>`,
	} {
		if !strings.Contains(html, want) || (want != `<h2 id="form-delete_account-title">Delete account</h2>` && !strings.Contains(form, want)) {
			t.Errorf("settings page lacks %s in\n%s", want, form)
		}
	}
}
