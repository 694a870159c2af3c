package session

import "testing"

// TestLevelOf is the one AAL rule: aal2 needs a first factor and a second factor of another
// kind (issue 18 item 3).
func TestLevelOf(t *testing.T) {
	m := func(name string, aal AAL) AuthenticationMethod { return AuthenticationMethod{Method: name, AAL: aal} }
	for _, c := range []struct {
		name    string
		methods []AuthenticationMethod
		want    AAL
	}{
		{"none", nil, AAL0},
		{"password", []AuthenticationMethod{m("password", AAL1)}, AAL1},
		{"password then totp", []AuthenticationMethod{m("password", AAL1), m("totp", AAL2)}, AAL2},
		{"totp then password", []AuthenticationMethod{m("totp", AAL2), m("password", AAL1)}, AAL2},
		{"code then lookup", []AuthenticationMethod{m("code", AAL1), m("lookup_secret", AAL2)}, AAL2},
		{"two codes", []AuthenticationMethod{m("code", AAL1), m("code", AAL2)}, AAL1},
		{"one key twice", []AuthenticationMethod{m("webauthn", AAL1), m("webauthn", AAL2)}, AAL1},
		{"second factors only", []AuthenticationMethod{m("totp", AAL2), m("lookup_secret", AAL2)}, AAL1},
		{"two codes and a password", []AuthenticationMethod{m("code", AAL1), m("code", AAL2), m("password", AAL1)}, AAL2},
		{"unstated level is aal1", []AuthenticationMethod{{Method: "password"}, m("totp", AAL2)}, AAL2},
	} {
		if got := LevelOf(c.methods); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
