package hash

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// phc is a parsed PHC string: $id[$v=version][$k=v,...][$salt[$hash]].
// See https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md.
type phc struct {
	id      string
	version int // 0 when absent
	params  map[string]uint64
	order   []string // parameter order, for String
	salt    []byte
	hash    []byte
}

// String encodes p with unpadded standard base64, the form Kratos and the reference tools write.
func (p phc) String() string {
	var b strings.Builder
	b.WriteString("$" + p.id)
	if p.version != 0 {
		fmt.Fprintf(&b, "$v=%d", p.version)
	}
	if len(p.order) > 0 {
		b.WriteString("$")
		for i, k := range p.order {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%s=%d", k, p.params[k])
		}
	}
	b.WriteString("$" + base64.RawStdEncoding.EncodeToString(p.salt))
	b.WriteString("$" + base64.RawStdEncoding.EncodeToString(p.hash))
	return b.String()
}

// parsePHC parses a PHC string whose parameters are all unsigned integers, with a salt and a hash.
func parsePHC(s string) (phc, error) {
	var p phc
	if !strings.HasPrefix(s, "$") {
		return p, fmt.Errorf("%w: does not start with $", ErrMalformed)
	}
	fields := strings.Split(s[1:], "$")
	p.id = fields[0]
	if p.id == "" || len(p.id) > 32 {
		return p, fmt.Errorf("%w: bad algorithm id", ErrMalformed)
	}
	rest := fields[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "v=") {
		v, err := strconv.ParseUint(rest[0][2:], 10, 16)
		if err != nil || v == 0 {
			return p, fmt.Errorf("%w: bad version %q", ErrMalformed, rest[0])
		}
		p.version = int(v)
		rest = rest[1:]
	}
	if len(rest) == 3 {
		p.params = map[string]uint64{}
		for _, kv := range strings.Split(rest[0], ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return p, fmt.Errorf("%w: bad parameter %q", ErrMalformed, kv)
			}
			if _, dup := p.params[k]; dup {
				return p, fmt.Errorf("%w: repeated parameter %q", ErrMalformed, k)
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return p, fmt.Errorf("%w: parameter %s is not a number", ErrMalformed, k)
			}
			p.params[k] = n
			p.order = append(p.order, k)
		}
		rest = rest[1:]
	}
	if len(rest) != 2 {
		return p, fmt.Errorf("%w: want parameters, salt and hash", ErrMalformed)
	}
	var err error
	if p.salt, err = decodeB64(rest[0]); err != nil {
		return p, fmt.Errorf("%w: salt: %v", ErrMalformed, err)
	}
	if p.hash, err = decodeB64(rest[1]); err != nil {
		return p, fmt.Errorf("%w: hash: %v", ErrMalformed, err)
	}
	if len(p.hash) == 0 || len(p.hash) > 1024 || len(p.salt) > 1024 {
		return p, fmt.Errorf("%w: bad salt or hash length", ErrMalformed)
	}
	return p, nil
}

// decodeB64 accepts standard or URL-safe base64, padded or not.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// need returns the named parameters of p, failing when one is missing or out of [lo, hi].
func (p phc) need(name string, lo, hi uint64) (uint64, error) {
	v, ok := p.params[name]
	if !ok {
		return 0, fmt.Errorf("%w: %s: missing parameter %s", ErrMalformed, p.id, name)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%w: %s: parameter %s=%d out of range", ErrMalformed, p.id, name, v)
	}
	return v, nil
}
