package identity

// Which of an identity's credentials count is decided in one place: a credential counts only
// if a sign-in method that is enabled now can use it now. A TOTP secret while TOTP is off, a
// WebAuthn key no login accepts, or a set of recovery codes that are all used up is no factor:
// counting it would demand a step-up nobody can perform (locking the owner out), and
// counting a first factor nobody can sign in with would let the last usable one go.

// Factor is one enabled way to sign in, as the AAL rules see it.
type Factor struct {
	// Method names the sign-in method ("password", "totp", …).
	Method string
	// Second marks a second factor (it lifts a session to aal2); otherwise it is a first
	// factor (aal1 on its own).
	Second bool
	// Usable reports whether the identity's credentials let it use this method now (a
	// password hash, an unused recovery code, a key the method accepts, …). It must not be nil.
	Usable func(*Identity) bool
}

// Factors are the enabled sign-in methods. The zero value knows no method, so no credential
// counts: build it from the login methods the server offers.
type Factors []Factor

// HighestAAL is the highest authenticator assurance level ("aal1" or "aal2") the identity can
// reach now: aal2 once a second factor it holds is usable, else aal1.
func (fs Factors) HighestAAL(i *Identity) string {
	if i == nil {
		return "aal1"
	}
	for _, f := range fs {
		if f.Second && f.Usable(i) {
			return "aal2"
		}
	}
	return "aal1"
}

// IsSecond reports whether method is an enabled second factor.
func (fs Factors) IsSecond(method string) bool {
	for _, f := range fs {
		if f.Second && f.Method == method {
			return true
		}
	}
	return false
}

// FirstFactors lists the first-factor methods the identity can sign in with now.
func (fs Factors) FirstFactors(i *Identity) []string {
	var out []string
	if i == nil {
		return out
	}
	for _, f := range fs {
		if !f.Second && f.Usable(i) {
			out = append(out, f.Method)
		}
	}
	return out
}

// KeepsSignIn reports whether a change that turns an identity that could sign in
// (couldBefore, from FirstFactors before the change) into after leaves it a way to sign in.
// An identity that had no usable first factor before (one created by an admin without
// credentials, say) is not made worse by a change, so the change is allowed.
func (fs Factors) KeepsSignIn(couldBefore bool, after *Identity) bool {
	return !couldBefore || len(fs.FirstFactors(after)) > 0
}
