package hash

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// The formats in this file are the weak, unsalted or fast digests Kratos accepts on import
// (and so may hold in a database being moved to Portico). They are verified so that nobody
// loses their password in the move; the password method replaces them with the configured
// hasher at the next successful sign-in (NeedsRehash is true for every one of them).

// digestFuncs are the plain digests of $md5$, $sha1$, $sha256$ and $sha512$.
var digestFuncs = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha256": sha256.New,
	"sha512": sha512.New,
}

// hmacFuncs are the digests of $hmac-<name>$.
var hmacFuncs = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

// digestHash is Kratos's $<digest>$[pf=<b64 pattern>$<b64 salt>$]<b64 digest>: the digest of
// the pattern with {SALT} and {PASSWORD} replaced (without a pattern: of the password alone).
type digestHash struct {
	newHash func() hash.Hash
	pattern string
	salt    []byte
	want    []byte
}

// maxPatternBytes bounds a digest's pattern (a few placeholders and separators in practice).
const maxPatternBytes = 1024

func parseDigest(name, rest string) (verifier, error) {
	parts := strings.Split(rest, "$")
	d := digestHash{newHash: digestFuncs[name], pattern: "{PASSWORD}"}
	var enc string
	switch len(parts) {
	case 1:
		enc = parts[0]
	case 3:
		pf, ok := strings.CutPrefix(parts[0], "pf=")
		if !ok {
			return nil, fmt.Errorf("%w: %s: expected pf=", ErrMalformed, name)
		}
		p, err := base64.StdEncoding.DecodeString(pf)
		if err != nil || len(p) > maxPatternBytes || !strings.Contains(string(p), "{PASSWORD}") {
			return nil, fmt.Errorf("%w: %s: bad pattern", ErrMalformed, name)
		}
		salt, err := base64.StdEncoding.DecodeString(parts[1])
		if err != nil {
			return nil, fmt.Errorf("%w: %s: bad salt", ErrMalformed, name)
		}
		d.pattern, d.salt, enc = string(p), salt, parts[2]
	default:
		return nil, fmt.Errorf("%w: %s: expected $%s$[pf=…$salt$]digest", ErrMalformed, name, name)
	}
	want, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(want) != d.newHash().Size() {
		return nil, fmt.Errorf("%w: %s: bad digest", ErrMalformed, name)
	}
	d.want = want
	return d, nil
}

func (d digestHash) derive(password []byte) ([]byte, []byte, error) {
	s := strings.ReplaceAll(d.pattern, "{SALT}", string(d.salt))
	s = strings.ReplaceAll(s, "{PASSWORD}", string(password))
	h := d.newHash()
	h.Write([]byte(s))
	return h.Sum(nil), d.want, nil
}

// hmacHash is Kratos's $hmac-<digest>$<b64 of the hex MAC>$<b64 key>.
type hmacHash struct {
	newHash func() hash.Hash
	key     []byte
	want    []byte
}

func parseHMAC(s string) (verifier, error) {
	parts := strings.Split(s, "$")
	// "", "hmac-<name>", mac, key
	if len(parts) != 4 {
		return nil, fmt.Errorf("%w: hmac: expected $hmac-<digest>$mac$key", ErrMalformed)
	}
	name := strings.TrimPrefix(parts[1], "hmac-")
	f, ok := hmacFuncs[name]
	if !ok {
		return nil, fmt.Errorf("%w: hmac-%s", ErrUnsupported, name)
	}
	hexMAC, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: hmac: bad mac", ErrMalformed)
	}
	want, err := hex.DecodeString(string(hexMAC))
	if err != nil || len(want) != f().Size() {
		return nil, fmt.Errorf("%w: hmac: bad mac", ErrMalformed)
	}
	key, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil {
		return nil, fmt.Errorf("%w: hmac: bad key", ErrMalformed)
	}
	return hmacHash{newHash: f, key: key, want: want}, nil
}

func (h hmacHash) derive(password []byte) ([]byte, []byte, error) {
	m := hmac.New(h.newHash, h.key)
	m.Write(password)
	return m.Sum(nil), h.want, nil
}

// shaCrypt is glibc's SHA-crypt ($5$ SHA-256, $6$ SHA-512; Kratos writes them
// $sha256-crypt$ and $sha512-crypt$): [rounds=N$]salt$hash.
type shaCrypt struct {
	newHash func() hash.Hash
	order   []int // the byte order of the encoded hash
	rounds  int
	salt    []byte
	want    []byte
}

// SHA-crypt's rounds: its default, and the bounds it clamps to, except that more than
// maxCryptRounds is refused rather than run (a stored hash must not cost seconds).
const (
	defaultCryptRounds = 5000
	minCryptRounds     = 1000
	maxCryptRounds     = 1_000_000
)

func parseSHACrypt(s string) (verifier, error) {
	parts := strings.Split(s, "$")
	if len(parts) < 4 {
		return nil, fmt.Errorf("%w: sha-crypt: expected $id$[rounds=N$]salt$hash", ErrMalformed)
	}
	c := shaCrypt{rounds: defaultCryptRounds}
	switch parts[1] {
	case "5", "sha256-crypt":
		c.newHash, c.order = sha256.New, sha256CryptOrder
	case "6", "sha512-crypt":
		c.newHash, c.order = sha512.New, sha512CryptOrder
	default:
		return nil, fmt.Errorf("%w: $%s$", ErrUnsupported, parts[1])
	}
	rest := parts[2:]
	if r, ok := strings.CutPrefix(rest[0], "rounds="); ok {
		n, err := strconv.Atoi(r)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%w: sha-crypt: bad rounds", ErrMalformed)
		}
		if n > maxCryptRounds {
			return nil, fmt.Errorf("%w: sha-crypt: more than %d rounds", ErrMalformed, maxCryptRounds)
		}
		c.rounds = max(n, minCryptRounds)
		rest = rest[1:]
	}
	if len(rest) != 2 {
		return nil, fmt.Errorf("%w: sha-crypt: expected salt$hash", ErrMalformed)
	}
	salt := rest[0]
	if len(salt) > 16 {
		salt = salt[:16]
	}
	if want := cryptB64Len(len(c.order)); len(rest[1]) != want {
		return nil, fmt.Errorf("%w: sha-crypt: hash of %d characters, want %d", ErrMalformed, len(rest[1]), want)
	}
	c.salt, c.want = []byte(salt), []byte(rest[1])
	return c, nil
}

func (c shaCrypt) derive(password []byte) ([]byte, []byte, error) {
	return []byte(cryptB64(shaCryptSum(c.newHash, password, c.salt, c.rounds), c.order)), c.want, nil
}

// shaCryptSum is the digest of Drepper's "Unix crypt using SHA-256 and SHA-512" (2007).
func shaCryptSum(newHash func() hash.Hash, pw, salt []byte, rounds int) []byte {
	h := newHash()
	h.Write(pw)
	h.Write(salt)
	h.Write(pw)
	b := h.Sum(nil)
	size := len(b)

	h = newHash()
	h.Write(pw)
	h.Write(salt)
	for n := len(pw); n > 0; n -= size {
		h.Write(b[:min(n, size)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 == 1 {
			h.Write(b)
		} else {
			h.Write(pw)
		}
	}
	a := h.Sum(nil)

	h = newHash()
	for range len(pw) {
		h.Write(pw)
	}
	p := repeatTo(h.Sum(nil), len(pw))

	h = newHash()
	for range 16 + int(a[0]) {
		h.Write(salt)
	}
	s := repeatTo(h.Sum(nil), len(salt))

	c := a
	for i := range rounds {
		h = newHash()
		if i%2 == 1 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i%2 == 1 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}
	return c
}

func repeatTo(seq []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, seq[:min(len(seq), n-len(out))]...)
	}
	return out
}

// sha256CryptOrder and sha512CryptOrder are the byte orders of SHA-crypt's encoding: triples
// (i·k mod m, +m/3, +2m/3) and then the leftover bytes.
var (
	sha256CryptOrder = cryptOrder(30, 21, []int{31, 30})
	sha512CryptOrder = cryptOrder(63, 22, []int{63})
)

func cryptOrder(m, step int, tail []int) []int {
	var out []int
	for i := range m / 3 {
		a := i * step % m
		out = append(out, a, (a+m/3)%m, (a+2*m/3)%m)
	}
	return append(out, tail...)
}

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// cryptB64Len is the encoded length of n bytes.
func cryptB64Len(n int) int { return (n*8 + 5) / 6 }

// cryptB64 encodes sum in crypt's base64: three bytes (taken in order) at a time, as a 24-bit
// number written least significant six bits first; the tail's one or two bytes likewise.
func cryptB64(sum []byte, order []int) string {
	var b strings.Builder
	emit := func(w uint32, n int) {
		for range n {
			b.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	full := len(order) / 3 * 3
	for i := 0; i < full; i += 3 {
		emit(uint32(sum[order[i]])<<16|uint32(sum[order[i+1]])<<8|uint32(sum[order[i+2]]), 4)
	}
	switch tail := order[full:]; len(tail) {
	case 1:
		emit(uint32(sum[tail[0]]), 2)
	case 2:
		emit(uint32(sum[tail[0]])<<8|uint32(sum[tail[1]]), 3)
	}
	return b.String()
}
