package identity

import (
	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/text"
)

// PasswordPolicy judges a new plain-text password against the identity's identifiers
// (satisfied by password.Policy). It returns the message explaining a refusal, or nil.
type PasswordPolicy interface {
	Check(password string, identifiers []string) *text.Message
}

// PasswordRefusedError is a plain-text password the policy refused. Flows show Message on their
// password field; the admin API answers 400 with the message as the reason.
type PasswordRefusedError struct {
	Message text.Message
}

func (e *PasswordRefusedError) Error() string { return "password refused: " + e.Message.Text }

// CheckPassword applies the manager's password policy to a new plain-text password of id. It is
// what every path that stores a plain-text password runs (Create, SetPassword), exposed so that
// a flow can refuse a password before spending a hash comparison on it. A refusal is an
// apierr.ErrBadRequest whose chain holds a *PasswordRefusedError.
func (m *Manager) CheckPassword(id *Identity, password string) error {
	if m.Policy == nil {
		return nil
	}
	s, err := m.schemaFor(id)
	if err != nil {
		return err
	}
	var identifiers []string
	if ex, err := s.Extract(id.Traits); err == nil {
		identifiers = append(identifiers, ex.PasswordIdentifiers...)
		for _, c := range ex.CodeIdentifiers {
			identifiers = append(identifiers, c.Value)
		}
	}
	if msg := m.Policy.Check(password, identifiers); msg != nil {
		return apierr.ErrBadRequest.WithReason("%s", msg.Text).WithCause(&PasswordRefusedError{Message: *msg})
	}
	return nil
}
