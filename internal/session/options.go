package session

import (
	"net/http"
	"time"

	"github.com/portico-auth/portico/internal/identity"
)

// Required AAL policies for whoami and other session checks.
const (
	RequireHighestAvailable = "highest_available"
	RequireAAL1             = "aal1"
)

// Options configure a Manager. Start from DefaultOptions: the zero value of CookiePersistent
// is false, whereas Kratos's default is true.
type Options struct {
	// Lifespan is how long a new or extended session lives.
	Lifespan time.Duration
	// EarliestPossibleExtend: a session is only extended once it expires within this window;
	// zero allows extending at any time.
	EarliestPossibleExtend time.Duration
	CookieName             string
	// CookiePersistent sends Expires/Max-Age; otherwise the cookie dies with the browser.
	CookiePersistent bool
	CookiePath       string
	CookieDomain     string
	SameSite         http.SameSite
	Secure           bool
	// WhoamiRequiredAAL is "highest_available" or "aal1"; it guards every public session
	// route (whoami, listing and revoking the caller's sessions).
	WhoamiRequiredAAL string
	// Factors are the enabled sign-in methods: "highest_available" counts only the
	// credentials one of them can use now. The server fills them in from the login methods
	// it builds (after this manager exists, before any request); nil or empty makes every
	// identity's highest level aal1.
	Factors *identity.Factors
	// PublicBaseURL is the public listener's base URL, where a browser is sent to step up.
	PublicBaseURL string
	// MaxPerIdentity caps an identity's live sessions: a new session revokes the oldest ones
	// past it, in the same transaction (session.max_per_identity; 0 = no cap). An API client
	// that signs in for every call would otherwise pile up live sessions for good.
	MaxPerIdentity int
}

// DefaultOptions are Kratos's defaults.
func DefaultOptions() Options {
	return Options{
		Lifespan:          24 * time.Hour,
		CookieName:        "ory_kratos_session",
		CookiePersistent:  true,
		CookiePath:        "/",
		SameSite:          http.SameSiteLaxMode,
		WhoamiRequiredAAL: RequireHighestAvailable,
	}
}

// withDefaults fills the zero-valued fields that have a default (not the booleans).
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Lifespan <= 0 {
		o.Lifespan = d.Lifespan
	}
	if o.CookieName == "" {
		o.CookieName = d.CookieName
	}
	if o.CookiePath == "" {
		o.CookiePath = d.CookiePath
	}
	if o.SameSite == 0 {
		o.SameSite = d.SameSite
	}
	if o.WhoamiRequiredAAL == "" {
		o.WhoamiRequiredAAL = d.WhoamiRequiredAAL
	}
	return o
}
