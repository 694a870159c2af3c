package server

import (
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// signInFactors turns the login methods the server offers into the AAL rules' factors: a
// credential counts (toward aal2, or as a first factor that must not be removed) exactly when
// one of these methods would accept it now, so the rules and the login flow cannot disagree.
// A method switched off in the config is not built, so its credentials stop counting.
func signInFactors(methods []login.Method) identity.Factors {
	fs := make(identity.Factors, 0, len(methods))
	for _, m := range methods {
		fs = append(fs, identity.Factor{Method: m.ID(), Second: m.AAL() == session.AAL2, Usable: m.Available})
	}
	return fs
}
