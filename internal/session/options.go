package session

import (
	"time"

	"github.com/portico-auth/portico/internal/identity"
)

// Required AAL policies for whoami and other session checks.
const (
	RequireHighestAvailable = "highest_available"
	RequireAAL1             = "aal1"
	// RequireEnrolment is the settings flow's level under forced enrolment
	// (selfservice.flows.settings.required_aal: aal2_enrol): highest_available, and a session
	// that must enrol a second factor (Manager.MustEnrol) passes, for the flow offers it
	// nothing but the enrolment.
	RequireEnrolment = "aal2_enrol"
	// RequireAnySession lets every active session through, also one that must enrol a second
	// factor first: signing out works at any level and in any state.
	RequireAnySession = "any"
)

// Options configure a Manager (sessionhttp.Options adds the cookie's).
type Options struct {
	// Lifespan is how long a new or extended session lives.
	Lifespan time.Duration
	// EarliestPossibleExtend: a session is only extended once it expires within this window;
	// zero allows extending at any time.
	EarliestPossibleExtend time.Duration
	// WhoamiRequiredAAL is "highest_available" or "aal1"; it guards every public session
	// route (whoami, listing and revoking the caller's sessions).
	WhoamiRequiredAAL string
	// Factors are the enabled sign-in methods: "highest_available" counts only the
	// credentials one of them can use now. The server fills them in from the login methods
	// it builds (after this manager exists, before any request); nil or empty makes every
	// identity's highest level aal1.
	Factors *identity.Factors
	// MaxPerIdentity caps an identity's live sessions: a new session revokes the oldest ones
	// past it, in the same transaction (session.max_per_identity; 0 = no cap). An API client
	// that signs in for every call would otherwise pile up live sessions for good.
	MaxPerIdentity int
	// EnrolSecondFactor forces enrolment (selfservice.flows.settings.required_aal:
	// aal2_enrol): a session whose identity has no usable second factor is refused by every
	// check but RequireEnrolment and RequireAnySession until the identity has one.
	EnrolSecondFactor bool
}

// DefaultOptions are Kratos's defaults.
func DefaultOptions() Options {
	return Options{
		Lifespan:          24 * time.Hour,
		WhoamiRequiredAAL: RequireHighestAvailable,
	}
}

// withDefaults fills the zero-valued fields that have a default.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Lifespan <= 0 {
		o.Lifespan = d.Lifespan
	}
	if o.WhoamiRequiredAAL == "" {
		o.WhoamiRequiredAAL = d.WhoamiRequiredAAL
	}
	return o
}
