package settings

import (
	"fmt"

	"github.com/portico-auth/portico/internal/seal"
)

// sealer encrypts a flow's private fields (a TOTP secret or recovery codes waiting for
// confirmation) and parked changes (which may hold a new password) with the shared seal package,
// under keys derived from secrets.cipher (or the cookie secret when no cipher secret is set).
// The first secret seals; every secret opens, so secrets can be rotated.
type sealer struct {
	s *seal.Sealer
}

func newSealer(secrets []string) *sealer {
	return &sealer{s: seal.New(seal.PurposeSettingsFlow, secrets)}
}

// canSeal reports whether a secret is configured to seal with.
func (s *sealer) canSeal() bool { return s.s.CanSeal() }

// seal encrypts plain; aad binds the ciphertext to one flow.
func (s *sealer) seal(plain, aad []byte) (string, error) {
	out, err := s.s.Seal(plain, aad)
	if err != nil {
		return "", fmt.Errorf("seal settings flow secrets: %w", err)
	}
	return out, nil
}

// appendSeal is seal appending the sealed text to dst.
func (s *sealer) appendSeal(dst, plain, aad []byte) ([]byte, error) {
	out, err := s.s.AppendSeal(dst, plain, aad)
	if err != nil {
		return nil, fmt.Errorf("seal settings flow secrets: %w", err)
	}
	return out, nil
}

// open decrypts what seal produced.
func (s *sealer) open(sealed string, aad []byte) ([]byte, error) {
	plain, err := s.s.Open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("open settings flow secrets: %w", err)
	}
	return plain, nil
}

// appendOpen is open appending the plaintext to dst (see seal.Sealer.AppendOpen).
func (s *sealer) appendOpen(dst, sealed, aad []byte) ([]byte, error) {
	out, err := s.s.AppendOpen(dst, sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("open settings flow secrets: %w", err)
	}
	return out, nil
}
