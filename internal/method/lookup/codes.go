package lookup

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/seal"
)

// NumCodes is how many codes one generation yields.
const NumCodes = 12

// codeLen and alphabet give codes of about 51 bits: short enough to type, long enough that
// guessing one is hopeless and brute-forcing a leaked hash is costly.
const (
	codeLen  = 10
	alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// Config is the lookup_secret credential's config.
type Config struct {
	// Salt is mixed into every code's hash.
	Salt string `json:"salt"`
	// RecoveryCodes are the codes' hashes, in the order they were shown, with their use.
	RecoveryCodes []Code `json:"recovery_codes"`
	// Sealed is the codes' plain text encrypted under secrets.cipher, for reveal.
	Sealed string `json:"sealed_codes,omitempty"`
}

// Code is one stored code.
type Code struct {
	Hash   string     `json:"hash"`
	UsedAt *time.Time `json:"used_at,omitempty"`
}

// generate returns NumCodes fresh random codes.
func generate() ([]string, error) {
	codes := make([]string, NumCodes)
	buf := make([]byte, codeLen)
	for i := range codes {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("generate recovery codes: %w", err)
		}
		var b strings.Builder
		for _, c := range buf {
			// 252 = 7·36: rejecting larger bytes keeps every letter equally likely.
			for c >= 252 {
				var one [1]byte
				if _, err := rand.Read(one[:]); err != nil {
					return nil, fmt.Errorf("generate recovery codes: %w", err)
				}
				c = one[0]
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
		codes[i] = b.String()
	}
	return codes, nil
}

func normalise(code string) string {
	return strings.ToLower(strings.Join(strings.Fields(code), ""))
}

func hashCode(salt, code string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + normalise(code)))
	return hex.EncodeToString(sum[:])
}

// newConfig hashes codes for ident and, when s can seal, seals them bound to ident for reveal
// (without a secret codes can only be regenerated, never revealed).
func newConfig(s *seal.Sealer, ident *identity.Identity, codes []string) (Config, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Config{}, fmt.Errorf("recovery code salt: %w", err)
	}
	cfg := Config{Salt: hex.EncodeToString(salt), RecoveryCodes: make([]Code, len(codes))}
	for i, c := range codes {
		cfg.RecoveryCodes[i] = Code{Hash: hashCode(cfg.Salt, c)}
	}
	if s.CanSeal() {
		sealed, err := s.SealJSON(codes, ident.ID[:])
		if err != nil {
			return Config{}, fmt.Errorf("seal recovery codes: %w", err)
		}
		cfg.Sealed = sealed
	}
	return cfg, nil
}

// match returns the index of code among cfg's codes (comparing every hash, in constant time),
// or -1.
func (cfg *Config) match(code string) int {
	want := []byte(hashCode(cfg.Salt, code))
	idx := -1
	for i, c := range cfg.RecoveryCodes {
		if subtle.ConstantTimeCompare([]byte(c.Hash), want) == 1 && idx < 0 {
			idx = i
		}
	}
	return idx
}

func readConfig(ident *identity.Identity) (Config, bool, error) {
	c, ok := ident.Credentials[identity.CredentialsLookupSecret]
	if !ok {
		return Config{}, false, nil
	}
	var cfg Config
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return Config{}, true, fmt.Errorf("decode lookup_secret credential: %w", err)
	}
	return cfg, true, nil
}

func writeConfig(ident *identity.Identity, cfg Config, now time.Time) error {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode lookup_secret credential: %w", err)
	}
	c, ok := ident.Credentials[identity.CredentialsLookupSecret]
	if !ok {
		c = identity.Credentials{Type: identity.CredentialsLookupSecret, Identifiers: []string{ident.ID.String()}, CreatedAt: now}
	}
	c.Config = raw
	c.UpdatedAt = now
	if ident.Credentials == nil {
		ident.Credentials = map[identity.CredentialsType]identity.Credentials{}
	}
	ident.Credentials[identity.CredentialsLookupSecret] = c
	return nil
}
