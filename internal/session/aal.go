package session

import (
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

// Kratos's words for an aal1 session whose identity could reach aal2.
const (
	aal2RequiredReason  = "An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue."
	aal2RequiredMessage = "Session does not fulfill the requested Authenticator Assurance Level"
	// Portico's words when the identity has no second factor yet and must enrol one.
	enrolRequiredReason = "A second factor is required for this account but none is set up yet. Please set one up in the settings flow to continue."
)

// rank orders the levels; unknown levels rank lowest.
func (a AAL) rank() int {
	switch a {
	case AAL1:
		return 1
	case AAL2:
		return 2
	}
	return 0
}

// methodAAL is the level a method grants: the one its method states (a second factor says
// aal2), aal1 when it states none.
func methodAAL(m AuthenticationMethod) AAL {
	if m.AAL != "" {
		return m.AAL
	}
	return AAL1
}

// LevelOf is the level a session reaches with methods, the one rule for every session: aal2
// only when the methods include a first factor and a second factor of a different kind (two
// email codes, or a security key used once as each, are one kind twice and stay aal1), aal1
// after any method, aal0 without methods.
func LevelOf(methods []AuthenticationMethod) AAL {
	if len(methods) == 0 {
		return AAL0
	}
	for _, second := range methods {
		if methodAAL(second) != AAL2 {
			continue
		}
		for _, first := range methods {
			if methodAAL(first) == AAL1 && first.Method != second.Method {
				return AAL2
			}
		}
	}
	return AAL1
}

// CheckAAL is the one AAL rule for everything a session may do: "aal1" needs any
// authenticated session, "aal2" a second factor, and "highest_available" the highest level
// the identity can reach now, judged by the enabled sign-in methods (Options.Factors), so a
// second factor that no login can use (TOTP switched off, WebAuthn keys kept for
// passwordless use, recovery codes all used) never demands a step-up nobody can perform.
// A shortfall is 403 session_aal2_required (sessionhttp adds where a browser steps up).
//
// Under forced enrolment (Options.EnrolSecondFactor) a session that MustEnrol is refused
// whatever is required, with the same id and details.enrol_second_factor (sessionhttp sends a
// browser to the settings flow instead of the aal2 login), except for RequireEnrolment (the
// settings flow, which then offers only the enrolment) and RequireAnySession (logout).
func (m *Manager) CheckAAL(s *Session, required string) error {
	if required == RequireAnySession || s.AAL.rank() >= AAL2.rank() {
		return nil // the highest level there is: no credentials need reading
	}
	if required != RequireEnrolment && m.MustEnrol(s) {
		return apierr.ErrForbidden.WithID("session_aal2_required").
			WithReason("%s", enrolRequiredReason).
			WithMessage(aal2RequiredMessage).
			WithDetail("enrol_second_factor", true)
	}
	need := AAL1
	switch required {
	case string(AAL2):
		need = AAL2
	case RequireHighestAvailable, RequireEnrolment:
		need = m.HighestAAL(s.Identity)
	}
	if s.AAL.rank() >= need.rank() {
		return nil
	}
	return apierr.ErrForbidden.WithID("session_aal2_required").
		WithReason("%s", aal2RequiredReason).
		WithMessage(aal2RequiredMessage)
}

// MustEnrol reports whether s is held to second-factor enrolment: enrolment is forced, s is
// below aal2 and its identity (with its credentials) has no usable second factor.
func (m *Manager) MustEnrol(s *Session) bool {
	return m.MustEnrolAt(s.AAL, s.Identity)
}

// MustEnrolAt is MustEnrol for a session at level aal of ident. Its credentials must be
// loaded (every session read loads them): without them nothing can be judged, and an
// identity is never held back on a guess.
func (m *Manager) MustEnrolAt(aal AAL, ident *identity.Identity) bool {
	return m.opts.EnrolSecondFactor && aal.rank() < AAL2.rank() && ident != nil && ident.Credentials != nil &&
		m.HighestAAL(ident).rank() < AAL2.rank()
}

// HighestAAL is the highest level ident can reach now under the enabled sign-in methods.
func (m *Manager) HighestAAL(ident *identity.Identity) AAL {
	return AAL(m.Factors().HighestAAL(ident))
}

// Factors are the enabled sign-in methods the AAL rules count credentials by (see
// identity.Factors), also the rule for which first factors an identity may not lose.
func (m *Manager) Factors() identity.Factors {
	if m.opts.Factors == nil {
		return nil
	}
	return *m.opts.Factors
}

// Privileged reports whether s may change credentials and identifiers of ident (loaded with
// its credentials) now: a first factor completed within maxAge and, when ident can reach aal2
// (HighestAAL), a second factor of another kind completed within maxAge too. A refresh login
// that proved only the password does not make the session of an identity with a second factor
// privileged, nor does a step-up that proved only the second factor.
func (m *Manager) Privileged(s *Session, ident *identity.Identity, maxAge time.Duration) bool {
	if !m.FreshFirstFactor(s, maxAge) {
		return false
	}
	if ident == nil || m.HighestAAL(ident) != AAL2 {
		return true
	}
	now := m.now()
	var fresh []AuthenticationMethod
	for _, meth := range s.AuthenticationMethods {
		if !now.After(meth.CompletedAt.Add(maxAge)) {
			fresh = append(fresh, meth)
		}
	}
	return LevelOf(fresh) == AAL2
}

// FreshFirstFactor reports whether s completed a first factor within maxAge: what is left
// for a refresh of an identity with a second factor is then that factor alone.
func (m *Manager) FreshFirstFactor(s *Session, maxAge time.Duration) bool {
	now := m.now()
	for _, meth := range s.AuthenticationMethods {
		if methodAAL(meth) == AAL1 && !now.After(meth.CompletedAt.Add(maxAge)) {
			return true
		}
	}
	return false
}
