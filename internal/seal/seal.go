package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Purposes in use. The strings are part of the key derivation: changing one makes every
// value sealed under it unreadable (these are the ones Portico has always used).
const (
	// PurposeSettingsFlow seals a settings flow's private fields.
	PurposeSettingsFlow = "portico settings pending submission"
	// PurposeLookupCodes seals the plain recovery codes kept in the credential for reveal.
	PurposeLookupCodes = "portico lookup secrets"
)

// ErrNoKey is returned by Seal when no secret is configured.
var ErrNoKey = errors.New("seal: no secret configured to encrypt with")

// ErrOpen is returned by Open when no key opens the value (wrong secret, other purpose or
// owner, or a damaged value).
var ErrOpen = errors.New("seal: no secret opens the value")

// Sealer seals and opens values for one purpose. The zero value and nil have no keys: they
// cannot seal, and open nothing.
type Sealer struct {
	aeads []cipher.AEAD
}

// New derives one AES-256 key per non-empty secret for purpose: SHA-256 of the purpose, a
// NUL and the secret. The secrets are operator-chosen high-entropy strings (secrets.cipher,
// secrets.cookie), so a plain hash is enough to turn them into keys, and the purpose prefix
// keeps the keys of different purposes apart.
func New(purpose string, secrets []string) *Sealer {
	s := &Sealer{}
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		key := sha256.Sum256([]byte(purpose + "\x00" + sec))
		block, err := aes.NewCipher(key[:])
		if err != nil {
			panic(err) // a 32-byte key is always accepted
		}
		a, err := cipher.NewGCM(block)
		if err != nil {
			panic(err) // AES always has a 16-byte block
		}
		s.aeads = append(s.aeads, a)
	}
	return s
}

// CanSeal reports whether a secret is configured to seal with.
func (s *Sealer) CanSeal() bool { return s != nil && len(s.aeads) > 0 }

// Seal encrypts plain under the first secret, bound to aad, as unpadded base64url text (a
// random nonce followed by the ciphertext and tag).
func (s *Sealer) Seal(plain, aad []byte) (string, error) {
	out, err := s.AppendSeal(nil, plain, aad)
	return string(out), err
}

// AppendSeal appends what Seal returns to dst: the caller that stores bytes gets them without
// the two copies a string costs (sealed values are kilobytes: a settings flow's secret nodes).
func (s *Sealer) AppendSeal(dst, plain, aad []byte) ([]byte, error) {
	if !s.CanSeal() {
		return dst, ErrNoKey
	}
	a := s.aeads[0]
	// The binary nonce, ciphertext and tag live only until they are encoded: in a pooled
	// buffer (a settings flow's private column is kilobytes, sealed for every new flow).
	n := a.NonceSize() + len(plain) + a.Overhead()
	p, _ := rawPool.Get().(*[]byte)
	if p == nil || cap(*p) < n {
		b := make([]byte, 0, max(n, 1024))
		p = &b
	}
	nonce := (*p)[:a.NonceSize()]
	if _, err := rand.Read(nonce); err != nil {
		return dst, fmt.Errorf("seal: nonce: %w", err)
	}
	raw := a.Seal(nonce, nonce, plain, aad)
	dst = base64.RawURLEncoding.AppendEncode(dst, raw)
	if cap(raw) <= maxPooledRaw {
		*p = raw[:0]
		rawPool.Put(p)
	}
	return dst, nil
}

// rawPool holds AppendSeal's scratch buffers (*[]byte) up to maxPooledRaw bytes.
var rawPool sync.Pool

const maxPooledRaw = 256 << 10

// Open decrypts what Seal produced with any configured secret, checking aad.
func (s *Sealer) Open(sealed string, aad []byte) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	plain, err := s.openRaw(nil, raw, aad)
	if err != nil {
		return nil, err
	}
	return plain, nil
}

// AppendOpen appends what Open returns to dst, reading sealed as bytes, with one allocation at
// most (none when dst has the room): a caller holding the stored bytes opens them without the
// copy a string costs and the two buffers Open allocates (sealed values are kilobytes: a
// settings flow's secret nodes). The capacity of dst past the plaintext is used for the
// decoded value (not secret: the nonce and ciphertext). On error dst is returned unchanged.
func (s *Sealer) AppendOpen(dst, sealed, aad []byte) ([]byte, error) {
	n := base64.RawURLEncoding.DecodedLen(len(sealed))
	// The decoded value goes after room for the plaintext (shorter than it): opening writes
	// the plaintext without overlapping its input, so a key that fails (GCM clears what it
	// wrote) leaves the input whole for the next key.
	start := len(dst)
	dst = slices.Grow(dst, 2*n)
	raw := dst[start+n : start+2*n]
	m, err := base64.RawURLEncoding.Decode(raw, sealed)
	if err != nil {
		return dst[:start], fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return s.openRaw(dst[:start], raw[:m], aad)
}

// openRaw appends to dst the plaintext of raw (nonce, ciphertext and tag) opened by the first
// key that opens it; dst's capacity must not overlap raw.
func (s *Sealer) openRaw(dst, raw, aad []byte) ([]byte, error) {
	if s == nil {
		return dst, ErrOpen
	}
	for _, a := range s.aeads {
		if len(raw) < a.NonceSize()+a.Overhead() {
			return dst, fmt.Errorf("%w: too short", ErrOpen)
		}
		if out, err := a.Open(dst, raw[:a.NonceSize()], raw[a.NonceSize():], aad); err == nil {
			return out, nil
		}
	}
	return dst, ErrOpen
}

// SealJSON seals the JSON encoding of v (see Seal).
func (s *Sealer) SealJSON(v any, aad []byte) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return s.Seal(plain, aad)
}

// OpenJSON opens what SealJSON produced into v.
func (s *Sealer) OpenJSON(sealed string, aad []byte, v any) error {
	plain, err := s.Open(sealed, aad)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return nil
}
