package sessionhttp

import (
	"net/http"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/portico-auth/portico/internal/session"
)

// Options are the session manager's options and the session cookie's. Start from
// DefaultOptions: the zero value of CookiePersistent is false, whereas Kratos's default is true.
type Options struct {
	session.Options
	CookieName string
	// CookiePersistent sends Expires/Max-Age; otherwise the cookie dies with the browser.
	CookiePersistent bool
	CookiePath       string
	CookieDomain     string
	SameSite         http.SameSite
	Secure           bool
	// PublicBaseURL is the public listener's base URL, where a browser is sent to step up.
	PublicBaseURL string
	// KratosCookieSecrets are Kratos's secrets.cookie: a session cookie Kratos signed with one of
	// them is taken for the token inside (AdoptKratosCookies).
	KratosCookieSecrets []string
}

// DefaultOptions are Kratos's defaults.
func DefaultOptions() Options {
	return Options{Options: session.DefaultOptions(), CookieName: "ory_kratos_session", CookiePersistent: true,
		CookiePath: "/", SameSite: http.SameSiteLaxMode}
}

// Sessions is a session.Manager (its methods are promoted) that also reads requests and writes
// the session cookie.
type Sessions struct {
	*session.Manager
	opts   Options
	kratos []securecookie.Codec
}

// New returns the sessions over store. Zero-valued options get Kratos's defaults (see Options
// for the booleans); a nil now means time.Now.
func New(store session.Store, opts Options, now func() time.Time) *Sessions {
	d := DefaultOptions()
	if opts.CookieName == "" {
		opts.CookieName = d.CookieName
	}
	if opts.CookiePath == "" {
		opts.CookiePath = d.CookiePath
	}
	if opts.SameSite == 0 {
		opts.SameSite = d.SameSite
	}
	m := session.NewManager(store, opts.Options, now)
	opts.Options = m.Options()
	return &Sessions{Manager: m, opts: opts, kratos: kratosCodecs(opts.KratosCookieSecrets)}
}

// Options returns the options in effect.
func (s *Sessions) Options() Options { return s.opts }
