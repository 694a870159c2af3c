package sessionapi_test

import (
	"testing"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// passwordAndTOTP are the sign-in methods these tests enable: a password as the first factor
// and TOTP as the second, each usable by an identity holding its credentials.
var passwordAndTOTP = identity.Factors{
	{Method: "password", Usable: func(i *identity.Identity) bool { return i.HasCredentials(identity.CredentialsPassword) }},
	{Method: "totp", Second: true, Usable: func(i *identity.Identity) bool { return i.HasCredentials(identity.CredentialsTOTP) }},
}

// TestMySessionRoutesNeedAAL is issue 11 finding 6: listing and revoking one's sessions
// follow whoami's AAL rule, so a password-only session of an identity with TOTP cannot read
// the devices of, or end, the owner's aal2 sessions.
func TestMySessionRoutesNeedAAL(t *testing.T) {
	e := newEnv(t, session.DefaultOptions())
	bob := e.identity("bob@example.com", true)
	strongS, strong := e.login(bob, "password", "totp")
	weakS, weak := e.login(bob, "password")

	expect(t, e.do(e.public, "GET", "/sessions", nil), 401, "session_inactive")
	expect(t, e.do(e.public, "DELETE", "/sessions", nil), 401, "session_inactive")
	expect(t, e.do(e.public, "DELETE", "/sessions/"+strongS.ID.String(), nil), 401, "session_inactive")

	expect(t, e.do(e.public, "GET", "/sessions", tokenHdr(weak)), 403, "session_aal2_required")
	expect(t, e.do(e.public, "DELETE", "/sessions/"+strongS.ID.String(), tokenHdr(weak)), 403, "session_aal2_required")
	expect(t, e.do(e.public, "DELETE", "/sessions", tokenHdr(weak)), 403, "session_aal2_required")
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(strong)), 200, "") // still alive

	expect(t, e.do(e.public, "GET", "/sessions", tokenHdr(strong)), 200, "")
	expect(t, e.do(e.public, "DELETE", "/sessions/"+weakS.ID.String(), tokenHdr(strong)), 204, "")
	expect(t, e.do(e.public, "DELETE", "/sessions", tokenHdr(strong)), 200, "")

	// With session.whoami.required_aal: aal1 the routes accept any session, as whoami does.
	opts := session.DefaultOptions()
	opts.WhoamiRequiredAAL = "aal1"
	e = newEnv(t, opts)
	bob = e.identity("bob@example.com", true)
	_, weak = e.login(bob, "password")
	expect(t, e.do(e.public, "GET", "/sessions", tokenHdr(weak)), 200, "")
	expect(t, e.do(e.public, "DELETE", "/sessions", tokenHdr(weak)), 200, "")
}
