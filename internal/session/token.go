package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math/big"
	"strings"

	"github.com/google/uuid"
)

// Token prefixes, as Kratos shows them, so that leaked tokens are recognisable by scanners.
const (
	TokenPrefix       = "ory_st_"
	LogoutTokenPrefix = "ory_lo_"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// tokenChars base62 characters carry at least 256 bits (43 × log2(62) ≈ 256.03).
const tokenChars = 43

// NewToken returns a fresh session token and the hash to store for it.
func NewToken() (token string, hash []byte, err error) {
	return newPrefixed(TokenPrefix)
}

func newPrefixed(prefix string) (string, []byte, error) {
	b := make([]byte, len(prefix), len(prefix)+tokenChars)
	copy(b, prefix)
	max := big.NewInt(int64(len(base62)))
	for range tokenChars {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", nil, fmt.Errorf("generate token: %w", err)
		}
		b = append(b, base62[n.Int64()])
	}
	t := string(b)
	return t, HashToken(t), nil
}

// HashToken is the SHA-256 of a token: the only form in which tokens are stored.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// LogoutTokens derives the one logout token of each session, as Kratos keeps one per session:
// the same on every render of a logout link (every tab's link works) without a write per
// render, which is also why no request that only shows a link can write a session row. The
// token is an HMAC-SHA256 of the session id under the cookie secret, so it cannot be made
// without the secret, belongs to one session only, and verifies under every configured secret
// (links survive a secret rotation as long as the old secret stays listed).
type LogoutTokens struct {
	keys [][]byte
}

// logoutTokenContext separates these MACs from anything else computed under the cookie
// secrets.
const logoutTokenContext = "portico logout token v1\x00"

// NewLogoutTokens derives logout tokens under secrets, the first one signing. Without secrets
// (a configuration serve refuses outside --dev) a random key of this process is used: links
// then work only until a restart and only on this instance.
func NewLogoutTokens(secrets []string) *LogoutTokens {
	l := &LogoutTokens{}
	for _, s := range secrets {
		if s != "" {
			l.keys = append(l.keys, []byte(s))
		}
	}
	if len(l.keys) == 0 {
		k := make([]byte, 32)
		_, _ = rand.Read(k) // never fails (Go 1.24+: it crashes the process instead)
		l.keys = [][]byte{k}
	}
	return l
}

// Token returns the logout token of the session id.
func (l *LogoutTokens) Token(id uuid.UUID) string {
	return l.derive(l.keys[0], id)
}

// Verify reports whether token is the logout token of the session id under any configured
// secret, comparing in constant time.
func (l *LogoutTokens) Verify(id uuid.UUID, token string) bool {
	if !strings.HasPrefix(token, LogoutTokenPrefix) {
		return false
	}
	ok := 0
	for _, k := range l.keys {
		ok |= subtle.ConstantTimeCompare([]byte(l.derive(k, id)), []byte(token))
	}
	return ok == 1
}

func (l *LogoutTokens) derive(key []byte, id uuid.UUID) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(logoutTokenContext))
	mac.Write(id[:])
	// 32 bytes in base62, left-padded to tokenChars (62^43 > 2^256), shaped like the session
	// token.
	digits := new(big.Int).SetBytes(mac.Sum(nil)).Text(62)
	return LogoutTokenPrefix + strings.Repeat("0", tokenChars-len(digits)) + digits
}
