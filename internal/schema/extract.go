package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"github.com/portico-auth/portico/internal/apierr"
)

// Address is a normalised address value and the channel it is reached through.
type Address struct {
	Value string
	Via   string
}

// Extracted is what the "ory.sh/kratos" extension says about a set of traits. Every value
// is normalised (see NormalizeValue) and listed once, in schema order.
type Extracted struct {
	PasswordIdentifiers []string
	WebAuthnIdentifiers []string
	// CodeIdentifiers are identifiers for one-time-code login, with their channel.
	CodeIdentifiers     []Address
	PasskeyDisplayName  string
	TOTPAccountName     string
	VerifiableAddresses []Address
	RecoveryAddresses   []Address
}

// NormalizeValue is the one form in which identifiers and addresses are stored and compared, so
// that spellings of one address cannot make a second identity: Unicode NFC with full-width forms
// folded to their ordinary ones (as PRECIS does for user names), surrounding white space
// trimmed, and for e-mail values (by schema format or by shape) lower-cased with the trailing
// dots of the domain removed ("A@Example.COM." is a@example.com: a fully qualified name ends in a
// dot, and mail treats both the same).
func NormalizeValue(s string, email bool) string {
	s = strings.TrimSpace(width.Fold.String(norm.NFC.String(s)))
	if email || LooksLikeEmail(s) {
		s = strings.TrimRight(strings.ToLower(s), ".")
	}
	return s
}

// LooksLikeEmail reports whether s has the shape local@domain.
func LooksLikeEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n")
}

// Extract reads identifiers and addresses out of traits. Traits that are not a JSON object
// are ErrBadRequest; values of the wrong type are skipped (ValidateTraits reports them).
func (s *Schema) Extract(traits json.RawMessage) (Extracted, error) {
	var ex Extracted
	var doc any
	if len(bytes.TrimSpace(traits)) == 0 {
		doc = map[string]any{}
	} else {
		dec := json.NewDecoder(bytes.NewReader(traits))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return ex, apierr.ErrBadRequest.WithReason("The traits are not valid JSON.").WithCause(fmt.Errorf("decode traits: %w", err))
		}
	}
	if doc == nil {
		doc = map[string]any{}
	}
	if _, ok := doc.(map[string]any); !ok {
		return ex, apierr.ErrBadRequest.WithReason("The traits must be a JSON object.")
	}
	seen := map[string]bool{}
	add := func(list *[]string, kind, v string) {
		if v == "" || seen[kind+"\x00"+v] {
			return
		}
		seen[kind+"\x00"+v] = true
		*list = append(*list, v)
	}
	addAddr := func(list *[]Address, kind, v, via string) {
		if v == "" || seen[kind+"\x00"+via+"\x00"+v] {
			return
		}
		seen[kind+"\x00"+via+"\x00"+v] = true
		*list = append(*list, Address{Value: v, Via: via})
	}
	for _, f := range s.fields {
		for _, raw := range valuesAt(doc, f.segments, f.isArray) {
			v := NormalizeValue(raw, f.IsEmail())
			if f.IsPasswordIdentifier {
				add(&ex.PasswordIdentifiers, "password", v)
			}
			if f.IsWebAuthnIdentifier {
				add(&ex.WebAuthnIdentifiers, "webauthn", v)
			}
			if f.IsCodeIdentifier {
				via := f.Extension.Credentials.Code.Via
				if via == "" {
					via = "email"
				}
				addAddr(&ex.CodeIdentifiers, "code", v, via)
			}
			if f.IsPasskeyDisplayName && ex.PasskeyDisplayName == "" {
				ex.PasskeyDisplayName = strings.TrimSpace(raw)
			}
			if f.IsTOTPAccountName && ex.TOTPAccountName == "" {
				ex.TOTPAccountName = v
			}
			if f.VerificationVia != "" {
				addAddr(&ex.VerifiableAddresses, "verification", v, f.VerificationVia)
			}
			if f.RecoveryVia != "" {
				addAddr(&ex.RecoveryAddresses, "recovery", v, f.RecoveryVia)
			}
		}
	}
	return ex, nil
}

// valuesAt returns the string values found at segs (each string of an array when isArray).
func valuesAt(doc any, segs []string, isArray bool) []string {
	cur := doc
	for _, s := range segs {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur, ok = m[s]
		if !ok {
			return nil
		}
	}
	switch v := cur.(type) {
	case string:
		return []string{v}
	case json.Number:
		if !isArray {
			return []string{v.String()}
		}
	case []any:
		var out []string
		for _, it := range v {
			if s, ok := it.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
