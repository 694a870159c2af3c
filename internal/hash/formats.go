package hash

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"math/bits"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// verifier is a parsed stored hash that can derive the value to compare for a password.
type verifier interface {
	// derive returns the value computed from password and the stored value to compare it with.
	derive(password []byte) (got, want []byte, err error)
}

// parse recognises a stored hash by its prefix.
func parse(s string) (verifier, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return nil, fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
		}
		return bcryptHash(s), nil
	case strings.HasPrefix(s, "$argon2id$"), strings.HasPrefix(s, "$argon2i$"):
		return parseArgon2(s)
	case strings.HasPrefix(s, "$pbkdf2-"):
		return parsePBKDF2(s)
	case strings.HasPrefix(s, "$scrypt$"):
		return parseScrypt(s)
	case strings.HasPrefix(s, "{SSHA"):
		return parseSSHA(s)
	case strings.HasPrefix(s, "$hmac-"):
		return parseHMAC(s)
	case strings.HasPrefix(s, "$5$"), strings.HasPrefix(s, "$6$"),
		strings.HasPrefix(s, "$sha256-crypt$"), strings.HasPrefix(s, "$sha512-crypt$"):
		return parseSHACrypt(s)
	case strings.HasPrefix(s, "$md5$"), strings.HasPrefix(s, "$sha1$"),
		strings.HasPrefix(s, "$sha256$"), strings.HasPrefix(s, "$sha512$"):
		name, rest, _ := strings.Cut(s[1:], "$")
		return parseDigest(name, rest)
	case s == "":
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	return nil, ErrUnsupported
}

type bcryptHash string

func (b bcryptHash) derive(password []byte) ([]byte, []byte, error) {
	// bcrypt recomputes with the stored salt and compares in constant time itself; translate
	// its answer into the got/want shape.
	switch err := bcrypt.CompareHashAndPassword([]byte(b), password); err {
	case nil:
		return []byte{1}, []byte{1}, nil
	case bcrypt.ErrMismatchedHashAndPassword:
		return []byte{0}, []byte{1}, nil
	default:
		return nil, nil, fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
	}
}

type argon2Hash struct{ phc }

// argon2 limits: beyond these a stored hash is treated as malformed rather than run.
const (
	maxArgon2Memory     = 4 << 20 // KiB, 4 GiB
	maxArgon2Iterations = 1 << 16
)

func parseArgon2(s string) (verifier, error) {
	p, err := parsePHC(s)
	if err != nil {
		return nil, err
	}
	if p.version == 0 {
		p.version = 0x10 // the PHC default for argon2 without v=
	}
	if p.version != argon2.Version {
		return nil, fmt.Errorf("%w: %s: unsupported version %d", ErrUnsupported, p.id, p.version)
	}
	par, err := p.need("p", 1, 255)
	if err != nil {
		return nil, err
	}
	if _, err := p.need("m", 8*par, maxArgon2Memory); err != nil {
		return nil, err
	}
	if _, err := p.need("t", 1, maxArgon2Iterations); err != nil {
		return nil, err
	}
	return argon2Hash{p}, nil
}

func (a argon2Hash) derive(password []byte) ([]byte, []byte, error) {
	m, t, par := uint32(a.params["m"]), uint32(a.params["t"]), uint8(a.params["p"])
	keyLen := uint32(len(a.hash))
	if a.id == "argon2i" {
		return argon2.Key(password, a.salt, t, m, par, keyLen), a.hash, nil
	}
	return argon2.IDKey(password, a.salt, t, m, par, keyLen), a.hash, nil
}

type pbkdf2Hash struct {
	phc
	newHash func() hash.Hash
}

func parsePBKDF2(s string) (verifier, error) {
	p, err := parsePHC(s)
	if err != nil {
		return nil, err
	}
	var h func() hash.Hash
	switch p.id {
	case "pbkdf2-sha1":
		h = sha1.New
	case "pbkdf2-sha256":
		h = sha256.New
	case "pbkdf2-sha512":
		h = sha512.New
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, p.id)
	}
	if _, err := p.need("i", 1, 100_000_000); err != nil {
		return nil, err
	}
	if l, ok := p.params["l"]; ok && l != uint64(len(p.hash)) {
		return nil, fmt.Errorf("%w: %s: key length %d does not match hash", ErrMalformed, p.id, l)
	}
	return pbkdf2Hash{p, h}, nil
}

func (p pbkdf2Hash) derive(password []byte) ([]byte, []byte, error) {
	got, err := pbkdf2.Key(p.newHash, string(password), p.salt, int(p.params["i"]), len(p.hash))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrMalformed, p.id, err)
	}
	return got, p.hash, nil
}

type scryptHash struct {
	phc
	n int
}

// parseScrypt reads $scrypt$ln=…,r=…,p=…$salt$hash. Tools disagree on ln: passlib writes log2(N),
// Kratos writes N itself; a power of two below 64 can only be the former.
func parseScrypt(s string) (verifier, error) {
	p, err := parsePHC(s)
	if err != nil {
		return nil, err
	}
	ln, err := p.need("ln", 1, 1<<24)
	if err != nil {
		return nil, err
	}
	n := ln
	if ln < 64 {
		if ln > 24 {
			return nil, fmt.Errorf("%w: scrypt: ln too large", ErrMalformed)
		}
		n = 1 << ln
	}
	if bits.OnesCount64(n) != 1 {
		return nil, fmt.Errorf("%w: scrypt: N must be a power of two", ErrMalformed)
	}
	r, err := p.need("r", 1, 64)
	if err != nil {
		return nil, err
	}
	if _, err := p.need("p", 1, 64); err != nil {
		return nil, err
	}
	if n*r*128 > 1<<30 {
		return nil, fmt.Errorf("%w: scrypt: parameters need too much memory", ErrMalformed)
	}
	return scryptHash{p, int(n)}, nil
}

func (s scryptHash) derive(password []byte) ([]byte, []byte, error) {
	got, err := scrypt.Key(password, s.salt, s.n, int(s.params["r"]), int(s.params["p"]), len(s.hash))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: scrypt: %v", ErrMalformed, err)
	}
	return got, s.hash, nil
}

// sshaHash is the LDAP salted SHA format: {SSHA}base64(digest || salt), also {SSHA256}, {SSHA512}.
type sshaHash struct {
	newHash func() hash.Hash
	digest  []byte
	salt    []byte
}

func parseSSHA(s string) (verifier, error) {
	scheme, enc, ok := strings.Cut(s[1:], "}")
	if !ok {
		return nil, fmt.Errorf("%w: salted sha: no closing brace", ErrMalformed)
	}
	var h func() hash.Hash
	var size int
	switch scheme {
	case "SSHA":
		h, size = sha1.New, sha1.Size
	case "SSHA256":
		h, size = sha256.New, sha256.Size
	case "SSHA512":
		h, size = sha512.New, sha512.Size
	default:
		return nil, fmt.Errorf("%w: {%s}", ErrUnsupported, scheme)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: {%s}: %v", ErrMalformed, scheme, err)
	}
	if len(raw) <= size {
		return nil, fmt.Errorf("%w: {%s}: too short", ErrMalformed, scheme)
	}
	return sshaHash{newHash: h, digest: raw[:size], salt: raw[size:]}, nil
}

func (s sshaHash) derive(password []byte) ([]byte, []byte, error) {
	h := s.newHash()
	h.Write(password)
	h.Write(s.salt)
	return h.Sum(nil), s.digest, nil
}
