package flow

import "github.com/portico-auth/portico/internal/flow/form"

// Claimer is implemented by methods whose buttons submit no "method" field (Kratos's oidc
// "provider" buttons): a submission that names no method goes to the first method claiming it.
type Claimer interface {
	Claims(body form.Values) bool
}

// Claimant is the first of methods claiming body (see Claimer), or the zero T.
func Claimant[T any](methods []T, body form.Values) T {
	var none T
	if body.String("method") != "" {
		return none
	}
	for _, m := range methods {
		if c, ok := any(m).(Claimer); ok && c.Claims(body) {
			return m
		}
	}
	return none
}
