package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

var (
	csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	formURL   = regexp.MustCompile(`<form[^>]* action="([^"]+)"`)
)

// page follows redirects inside the UI and returns the page's HTML.
func page(t *testing.T, s *apptest.Server, b *apptest.Client, target string) string {
	t.Helper()
	for range 5 {
		r := b.Get(target)
		if r.StatusCode == http.StatusOK {
			checkPageHeaders(t, r)
			return string(r.Body)
		}
		target = location(t, r)
	}
	t.Fatalf("too many redirects to %s", target)
	return ""
}

func submit(t *testing.T, b *apptest.Client, html string, values url.Values) *apptest.Response {
	t.Helper()
	m, a := csrfField.FindStringSubmatch(html), formURL.FindStringSubmatch(html)
	if m == nil || a == nil {
		t.Fatalf("no form with a CSRF token on the page:\n%s", html)
	}
	values.Set("csrf_token", unescape(m[1]))
	return b.PostForm(unescape(a[1]), values)
}

func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#x2b;", "+", "&#34;", `"`, "&#39;", "'").Replace(s)
}

// TestVerificationAndRecoveryPages: the built-in UI shows "Forgot password?" when recovery is
// on, and a browser verifies its address and recovers its account through /ui/verification
// and /ui/recovery with the codes from the real messages.
func TestVerificationAndRecoveryPages(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true"))
	mail := s.StartMail(t)
	email := apptest.Email("pages")
	s.CreateIdentity(t, email, "the old password of pages")

	b := s.Browser(t)
	login := page(t, s, b, s.PublicURL("/ui/login"))
	if !strings.Contains(login, `href="`+s.PublicURL("/ui/recovery")+`"`) || !strings.Contains(login, "Forgot password?") {
		t.Fatalf("the sign-in page offers no recovery:\n%s", login)
	}

	// Verification.
	html := page(t, s, b, s.PublicURL("/ui/verification"))
	html = page(t, s, b, location(t, submit(t, b, html, url.Values{"method": {"code"}, "email": {email}})))
	if !strings.Contains(html, "verification code has been sent") {
		t.Fatalf("after sending:\n%s", html)
	}
	html = page(t, s, b, location(t, submit(t, b, html, url.Values{"method": {"code"}, "code": {mail.Code(t, email)}})))
	if !strings.Contains(html, "You successfully verified your email address.") {
		t.Fatalf("after the code:\n%s", html)
	}

	// The link in the message fills the code in.
	b2 := s.Browser(t)
	html = page(t, s, b2, s.PublicURL("/ui/verification"))
	page(t, s, b2, location(t, submit(t, b2, html, url.Values{"method": {"code"}, "email": {email}})))
	code := mail.Code(t, email)
	var link string
	for _, w := range strings.Fields(mail.Last(t, email).Text) {
		if strings.Contains(w, "/ui/verification?") {
			link = w
		}
	}
	if html = page(t, s, b2, link); !strings.Contains(html, `value="`+code+`"`) {
		t.Fatalf("the page opened from the message does not hold the code:\n%s", html)
	}

	// Recovery.
	rb := s.Browser(t)
	html = page(t, s, rb, s.PublicURL("/ui/recovery"))
	html = page(t, s, rb, location(t, submit(t, rb, html, url.Values{"method": {"code"}, "email": {email}})))
	if !strings.Contains(html, "recovery code has been sent") {
		t.Fatalf("after sending:\n%s", html)
	}
	r := submit(t, rb, html, url.Values{"method": {"code"}, "code": {mail.Code(t, email)}})
	settings := page(t, s, rb, location(t, r))
	if !strings.Contains(settings, "You successfully recovered your account.") {
		t.Fatalf("the settings page after recovery:\n%s", settings)
	}
}
