package session_test

import (
	"testing"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// holds is a factor usable by any identity holding credentials of type t.
func holds(t identity.CredentialsType, second bool) identity.Factor {
	return identity.Factor{Method: string(t), Second: second, Usable: func(i *identity.Identity) bool { return i.HasCredentials(t) }}
}

func TestRequireAAL(t *testing.T) {
	with2FA := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{
		identity.CredentialsPassword: {}, identity.CredentialsTOTP: {}}}
	only1FA := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{identity.CredentialsPassword: {}}}
	enabled := identity.Factors{holds(identity.CredentialsPassword, false), holds(identity.CredentialsTOTP, true)}
	totpOff := identity.Factors{holds(identity.CredentialsPassword, false)}
	tests := []struct {
		name     string
		factors  identity.Factors
		s        *session.Session
		required string
		denied   bool
	}{
		{"aal1 session, password only, highest", enabled, &session.Session{AAL: session.AAL1, Identity: only1FA}, "highest_available", false},
		{"aal1 session, has totp, highest", enabled, &session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", true},
		{"aal2 session, has totp, highest", enabled, &session.Session{AAL: session.AAL2, Identity: with2FA}, "highest_available", false},
		{"aal1 session, has totp, aal1", enabled, &session.Session{AAL: session.AAL1, Identity: with2FA}, "aal1", false},
		{"aal1 session, aal2 required", enabled, &session.Session{AAL: session.AAL1, Identity: only1FA}, "aal2", true},
		// A TOTP secret no login accepts (TOTP switched off) cannot demand a step-up.
		{"aal1 session, has totp but totp is off, highest", totpOff, &session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", false},
		{"no factors known, highest", nil, &session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := tt.factors
			m := session.NewManager(nil, session.Options{Factors: &fs, PublicBaseURL: "http://127.0.0.1:4433/"}, nil)
			err := m.RequireAAL(tt.s, tt.required, "")
			if (err != nil) != tt.denied {
				t.Fatalf("err = %v", err)
			}
		})
	}
	m := session.NewManager(nil, session.Options{Factors: &enabled, PublicBaseURL: "http://127.0.0.1:4433"}, nil)
	err := m.RequireAAL(&session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", "https://app.example/x?y=1")
	e := apierr.From(err)
	want := "http://127.0.0.1:4433/self-service/login/browser?aal=aal2&return_to=https%3A%2F%2Fapp.example%2Fx%3Fy%3D1"
	if e.Code != 403 || e.ID != "session_aal2_required" || e.RedirectBrowserTo != want || e.Details["redirect_browser_to"] != want ||
		e.Message != "Session does not fulfill the requested Authenticator Assurance Level" ||
		e.Reason != "An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue." {
		t.Fatalf("%+v", e)
	}
}
