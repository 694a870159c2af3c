package settings

import (
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// Forced enrolment (selfservice.flows.settings.required_aal: aal2_enrol): a session whose
// identity has no usable second factor is refused everywhere else (the session layer's
// CheckAAL) and sent here, where a flow shows only the methods that enrol a second factor and
// accepts no other submission. Enrolling TOTP or recovery codes lifts the session to aal2,
// so the flow that follows the success, and every other route, is open again: login, enrol,
// done, with no second login in between. Once enrolled, no settings change may take the
// identity's last second factor.

// enrolOnly reports whether a session at level aal of ident (with its credentials) is held
// to second-factor enrolment.
func (h *Handler) enrolOnly(aal session.AAL, ident *identity.Identity) bool {
	return h.Sessions.MustEnrolAt(aal, ident)
}

// enrols reports whether m enrols a second factor: an enabled login method of the same name
// accepts its credential as a second factor (so WebAuthn counts unless it is passwordless).
func (h *Handler) enrols(m Method) bool {
	return h.Sessions.Factors().IsSecond(m.ID())
}

// secondFactorRequired reports whether ident (with its credentials) must keep a second
// factor: enrolment is forced and it has a usable one, so no settings change may take the
// last one (Submission.Save refuses it with 4000111).
func (h *Handler) secondFactorRequired(ident *identity.Identity) bool {
	return h.Sessions.Options().EnrolSecondFactor && h.Sessions.Factors().HighestAAL(ident) == string(session.AAL2)
}
