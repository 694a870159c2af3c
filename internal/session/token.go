package session

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
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

// NewLogoutToken returns a fresh logout token and the hash to store for it.
func NewLogoutToken() (token string, hash []byte, err error) {
	return newPrefixed(LogoutTokenPrefix)
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
