package flow

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apierr"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func testReturnTo() *ReturnTo {
	return &ReturnTo{
		Allowed: []string{"http://127.0.0.1:4455/after", "https://app.example/", "https://docs.example:8443/a/b/"},
		Public:  mustURL("http://127.0.0.1:4433/"),
		Default: mustURL("http://127.0.0.1:4455/welcome"),
	}
}

func TestReturnToCheck(t *testing.T) {
	tests := []struct {
		raw  string
		want string // "" = forbidden (or nil for empty input)
	}{
		{"", ""},
		{"http://127.0.0.1:4455/after", "http://127.0.0.1:4455/after"},
		{"http://127.0.0.1:4455/after/deeper?x=1#f", "http://127.0.0.1:4455/after/deeper?x=1#f"},
		{"https://app.example/anything", "https://app.example/anything"},
		{"https://APP.example/x", "https://APP.example/x"},
		{"https://app.example:443/x", "https://app.example:443/x"},
		{"https://docs.example:8443/a/b", "https://docs.example:8443/a/b"},
		{"https://docs.example:8443/a/b/c", "https://docs.example:8443/a/b/c"},
		// Relative paths are kept as given (Resolve sends a browser to the default's origin).
		{"/dashboard?tab=1", "/dashboard?tab=1"},
		{"/", "/"},
		{"/relative/after", "/relative/after"},
		{"http://127.0.0.1:4433/self-service/login/browser", "http://127.0.0.1:4433/self-service/login/browser"},
		{"http://127.0.0.1:4455/other", "http://127.0.0.1:4455/other"}, // the default's origin
		// forbidden
		{"https://evil.example/", ""},
		{"http://127.0.0.1:4456/after", ""},
		{"https://127.0.0.1:4455/after", ""},
		{"https://docs.example:8443/a/bc", ""},
		{"https://docs.example:8443/a/", ""},
		{"https://docs.example:8443/a/b/../../x", ""},
		{"https://docs.example/a/b", ""},
		{"//evil.example/", ""},
		{"//evil.example", ""},
		{"/%2fevil.example/", ""}, // decodes to "//evil.example/": protocol-relative once written out
		{"/%2F%22", ""},           // found by FuzzReturnTo: written back as "//%22"
		{"\\\\evil.example", ""},
		{"/\\evil.example", ""},
		{"\\/evil.example", ""},
		{"https:\\\\evil.example", ""},
		{"https://app.example\\@evil.example", ""},
		{"https://app.example@evil.example/", ""},
		{"https://user:pw@app.example/", ""},
		{"javascript:alert(1)", ""},
		{"JavaScript://app.example/%0aalert(1)", ""},
		{"data:text/html,<script>alert(1)</script>", ""},
		{"ftp://app.example/", ""},
		{"https:evil.example", ""},
		{"https:/evil.example", ""},
		{"http://", ""},
		{"dashboard", ""},
		{"/a\tb", ""},
		{"/\t/evil.example", ""},
		{"https://app.example/\n", ""},
		{"/\x00", ""},
		{" https://app.example/", ""},
		{"https://app.example.evil.example/", ""},
		{"https://evil.example/app.example", ""},
		{"https://evil.example#https://app.example", ""},
		{"https://evil.example?https://app.example", ""},
	}
	rt := testReturnTo()
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := rt.Check(tt.raw)
			switch {
			case tt.want == "" && tt.raw == "":
				if u != nil || err != nil {
					t.Errorf("Check(\"\") = %v, %v; want nil, nil", u, err)
				}
			case tt.want == "":
				if u != nil || err == nil {
					t.Fatalf("Check(%q) = %v, %v; want forbidden", tt.raw, u, err)
				}
				var ae *apierr.Error
				if !errors.As(err, &ae) || ae.Code != 400 || ae.ID != "self_service_flow_return_to_forbidden" ||
					ae.Reason != `Requested return_to URL "`+tt.raw+`" is not allowed.` {
					t.Errorf("error = %#v", err)
				}
			default:
				if err != nil || u == nil || u.String() != tt.want {
					t.Errorf("Check(%q) = %v, %v; want %s", tt.raw, u, err, tt.want)
				}
			}
		})
	}
}

// TestReturnToResolve: a kept relative return_to is sent to default_browser_return_url's
// origin; absolute URLs and configured URLs pass unchanged.
func TestReturnToResolve(t *testing.T) {
	rt := testReturnTo()
	for raw, want := range map[string]string{
		"/relative/after":              "http://127.0.0.1:4455/relative/after",
		"/dashboard?tab=1#x":           "http://127.0.0.1:4455/dashboard?tab=1#x",
		"/":                            "http://127.0.0.1:4455/",
		"https://app.example/anything": "https://app.example/anything",
		"":                             "",
	} {
		u, err := rt.Check(raw)
		if err != nil {
			t.Fatalf("Check(%q): %v", raw, err)
		}
		kept := ""
		if u != nil {
			kept = u.String()
		}
		if kept != raw {
			t.Errorf("Check(%q) keeps %q, want it as given", raw, kept)
		}
		if got := rt.Resolve(kept); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", kept, got, want)
		}
	}
	if got := (&ReturnTo{}).Resolve("/x"); got != "/x" {
		t.Errorf("Resolve without a default = %q", got)
	}
}

func TestReturnToRelativeNeedsDefault(t *testing.T) {
	rt := &ReturnTo{Allowed: []string{"https://app.example/"}}
	if _, err := rt.Check("/x"); err == nil {
		t.Error("relative return_to without a default must be refused")
	}
}

// FuzzReturnTo checks that whatever Check accepts lies on an allowed origin and cannot be
// read by a browser as another host.
func FuzzReturnTo(f *testing.F) {
	for _, s := range []string{
		"", "/", "/x?y#z", "//evil", "/\\evil", "\\\\evil", "https://app.example@evil", "https://app.example/",
		"http://127.0.0.1:4455/after/x", "javascript:alert(1)", "https:evil", "HTTPS://APP.EXAMPLE:443/",
		"http://127.0.0.1:4433/../..", "https://[::1]:8443/", "https://app.example%2f@evil/", "/%2f%2fevil", "/%2f\"", "/%2Fevil",
		"https://docs.example:8443/a/b/%2e%2e/x", "http://127.0.0.1:4455:80/after",
	} {
		f.Add(s)
	}
	rt := testReturnTo()
	origins := map[string]bool{}
	for _, s := range append(rt.Allowed, rt.Public.String(), rt.Default.String()) {
		u := mustURL(s)
		origins[strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Hostname())+":"+port(u)] = true
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := rt.Check(raw)
		if err != nil || u == nil {
			return
		}
		// What a browser is sent to: the kept value, resolved as every redirect resolves it.
		s := rt.Resolve(u.String())
		if strings.ContainsAny(s, "\\\t\r\n ") || u.User != nil {
			t.Fatalf("accepted %q as %q", raw, s)
		}
		// Parse what a browser would be sent, and check its origin again.
		back, perr := url.Parse(s)
		if perr != nil || back.User != nil || back.Opaque != "" {
			t.Fatalf("accepted %q as unparseable or odd %q: %v", raw, s, perr)
		}
		o := strings.ToLower(back.Scheme) + "://" + strings.ToLower(back.Hostname()) + ":" + port(back)
		if !origins[o] {
			t.Fatalf("accepted %q on origin %s", raw, o)
		}
	})
}

func TestReturnToWildcardHost(t *testing.T) {
	rt := &ReturnTo{Allowed: []string{"https://*.example.com/app"}}
	tests := []struct {
		raw string
		ok  bool
	}{
		{"https://a.example.com/app", true},
		{"https://a.b.example.com/app/x?y=1", true},
		{"https://A.EXAMPLE.COM/app", true},
		{"https://example.com/app", false},            // the bare domain is not a subdomain
		{"https://evilexample.com/app", false},        // same ending, other domain
		{"https://a.example.com.evil.net/app", false}, // the allowed name inside another
		{"http://a.example.com/app", false},           // other scheme
		{"https://a.example.com:8443/app", false},     // other port
		{"https://a.example.com/other", false},        // outside the allowed path
		{"https://a.example.com@evil.net/app", false},
		{"https://..example.com/app", false},
	}
	for _, tt := range tests {
		u, err := rt.Check(tt.raw)
		if got := err == nil && u != nil; got != tt.ok {
			t.Errorf("Check(%q) allowed = %v, want %v (err %v)", tt.raw, got, tt.ok, err)
		}
	}
}

// FuzzReturnToWildcard: whatever a wildcard entry lets through is a subdomain of its domain.
func FuzzReturnToWildcard(f *testing.F) {
	for _, s := range []string{"https://a.example.com/", "https://example.com/", "https://a.example.com.evil/", "https://x@a.example.com/"} {
		f.Add(s)
	}
	rt := &ReturnTo{Allowed: []string{"https://*.example.com/"}}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := rt.Check(raw)
		if err != nil || u == nil {
			return
		}
		back, perr := url.Parse(u.String())
		if perr != nil || back.User != nil {
			t.Fatalf("accepted %q as %q", raw, u)
		}
		h := strings.ToLower(back.Hostname())
		if !strings.HasSuffix(h, ".example.com") || h == ".example.com" || strings.ToLower(back.Scheme) != "https" || port(back) != "443" {
			t.Fatalf("accepted %q on %s://%s:%s", raw, back.Scheme, h, port(back))
		}
	})
}
