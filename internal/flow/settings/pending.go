package settings

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer encrypts a flow's private fields (a parked submission, which may hold a new password;
// a TOTP secret or recovery codes waiting for confirmation) with AES-256-GCM under a key
// derived from secrets.cipher (or the cookie secret when no cipher secret is set). The first
// secret seals; every secret opens, so secrets can be rotated.
type sealer struct {
	keys [][32]byte
}

func newSealer(secrets []string) *sealer {
	s := &sealer{}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		s.keys = append(s.keys, sha256.Sum256([]byte("portico settings pending submission\x00"+sec)))
	}
	return s
}

func gcm(key [32]byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// canSeal reports whether a secret is configured to seal with.
func (s *sealer) canSeal() bool { return len(s.keys) > 0 }

// seal encrypts plain; aad binds the ciphertext to one flow.
func (s *sealer) seal(plain, aad []byte) (string, error) {
	if len(s.keys) == 0 {
		return "", errors.New("no secret to encrypt settings flow secrets with")
	}
	a, err := gcm(s.keys[0])
	if err != nil {
		return "", fmt.Errorf("seal settings flow secrets: %w", err)
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal settings flow secrets: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(a.Seal(nonce, nonce, plain, aad)), nil
}

// open decrypts what seal produced.
func (s *sealer) open(sealed string, aad []byte) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("open settings flow secrets: %w", err)
	}
	for _, k := range s.keys {
		a, err := gcm(k)
		if err != nil {
			return nil, err
		}
		if len(raw) < a.NonceSize() {
			return nil, errors.New("open settings flow secrets: too short")
		}
		if plain, err := a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], aad); err == nil {
			return plain, nil
		}
	}
	return nil, errors.New("open settings flow secrets: no secret fits")
}
