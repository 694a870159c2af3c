package httpx

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/portico-auth/portico/internal/apierr"
)

// Limits is the one bound on the shape of untrusted input that every body reader (JSON and
// form, public and admin) and the query check apply before anything is decoded, allocated per
// field or marshalled. Nothing Portico accepts comes near these; they exist so that a body's
// cost is linear in its size and small (dotted names and deep JSON used to cost one map per
// level, and deep enough nesting overflowed the stack in json.Marshal).
type Limits struct {
	// MaxDepth is the deepest nesting of JSON objects and arrays, and the most segments of a
	// dotted form field name ("traits.name.first" has three).
	MaxDepth int
	// MaxFields is the most object members plus array elements in one JSON body, or the most
	// dotted name segments plus values over all fields of a form.
	MaxFields int
	// MaxNameBytes is the longest object key or form field name, and the longest number.
	MaxNameBytes int
	// MaxStringBytes is the longest string value (as sent, escapes included).
	MaxStringBytes int
}

// DefaultLimits are the limits every route applies.
var DefaultLimits = Limits{MaxDepth: 32, MaxFields: 1000, MaxNameBytes: 256, MaxStringBytes: 64 << 10}

// The reasons a bounded input is refused with (400, Kratos's error shape). They never echo the
// input.
func errDepth(l Limits) error {
	return apierr.ErrBadRequest.WithReason("The request nests deeper than %d levels.", l.MaxDepth)
}

func errFields(l Limits) error {
	return apierr.ErrBadRequest.WithReason("The request has more than %d fields.", l.MaxFields)
}

func errName(l Limits) error {
	return apierr.ErrBadRequest.WithReason("A field name or number in the request is longer than %d bytes.", l.MaxNameBytes)
}

func errString(l Limits) error {
	return apierr.ErrBadRequest.WithReason("A value in the request is longer than %d bytes.", l.MaxStringBytes)
}

var (
	errInvalidUTF8 = apierr.ErrBadRequest.WithReason("The request contains text that is not valid UTF-8.")
	errNUL         = apierr.ErrBadRequest.WithReason("The request contains a NUL character.")
)

// CheckText refuses s when it is not valid UTF-8 or contains a NUL byte: neither is ever part
// of a name, an e-mail address or a token, and PostgreSQL refuses both (a 500 before this).
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return errInvalidUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errNUL
	}
	return nil
}

// CheckValues checks decoded query parameters or form fields: text rules only (see CheckText).
func CheckValues(v url.Values) error {
	for k, vals := range v {
		if err := CheckText(k); err != nil {
			return err
		}
		for _, s := range vals {
			if err := CheckText(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckForm checks a parsed form before its dotted names are folded into nested objects: name
// length and segments first (counted, never split), then the field budget and the values.
func (l Limits) CheckForm(v url.Values) error {
	fields := 0
	for k, vals := range v {
		if len(k) > l.MaxNameBytes {
			return errName(l)
		}
		segs := strings.Count(k, ".") + 1
		if segs > l.MaxDepth {
			return errDepth(l)
		}
		if fields += segs + len(vals) - 1; fields > l.MaxFields {
			return errFields(l)
		}
		if err := CheckText(k); err != nil {
			return err
		}
		for _, s := range vals {
			if len(s) > l.MaxStringBytes {
				return errString(l)
			}
			if err := CheckText(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckJSON scans a JSON document without decoding it and refuses it when it breaks a limit,
// holds invalid UTF-8, or holds a string escape the database cannot store (\u0000, a lone
// surrogate). It allocates nothing per token. It does not validate the grammar (the decoder
// that runs next does), but for every document the decoder accepts it counts exactly.
func (l Limits) CheckJSON(data []byte) error {
	if !utf8.Valid(data) {
		return errInvalidUTF8
	}
	// containers holds '{' or '[' per open level; member is true right after '{', '[' or ','
	// (the next token starts an object member or an array element).
	containers := make([]byte, 0, l.MaxDepth)
	member, fields := false, 0
	inArray := func() bool { return len(containers) > 0 && containers[len(containers)-1] == '[' }
	countElement := func() error {
		if member && inArray() {
			if fields++; fields > l.MaxFields {
				return errFields(l)
			}
		}
		member = false
		return nil
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case ' ', '\t', '\n', '\r':
		case '{', '[':
			if err := countElement(); err != nil {
				return err
			}
			if len(containers) == l.MaxDepth {
				return errDepth(l)
			}
			containers = append(containers, c)
			member = true
		case '}', ']':
			if len(containers) > 0 {
				containers = containers[:len(containers)-1]
			}
			member = false
		case ',':
			member = true
		case ':':
			member = false
		case '"':
			isKey := member && len(containers) > 0 && containers[len(containers)-1] == '{'
			end, err := scanString(data, i+1)
			if err != nil {
				return err
			}
			n := end - i - 1
			if isKey {
				if fields++; fields > l.MaxFields {
					return errFields(l)
				}
				if n > l.MaxNameBytes {
					return errName(l)
				}
				member = false
			} else {
				if err := countElement(); err != nil {
					return err
				}
				if n > l.MaxStringBytes {
					return errString(l)
				}
			}
			i = end
		default:
			// A number or a literal (true, false, null), or a byte the decoder will refuse.
			if err := countElement(); err != nil {
				return err
			}
			j := i
			for j < len(data) && isLiteralByte(data[j]) {
				j++
			}
			if j-i > l.MaxNameBytes {
				return errName(l)
			}
			if j > i {
				i = j - 1
			}
		}
	}
	return nil
}

func isLiteralByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '.' || b == '+' || b == '-'
}

// scanString returns the index of the quote closing the string whose content starts at start
// (len(data) when it is unterminated), refusing \u0000 and unpaired surrogate escapes.
func scanString(data []byte, start int) (int, error) {
	for j := start; j < len(data); j++ {
		switch data[j] {
		case '"':
			return j, nil
		case '\\':
			if j+1 >= len(data) {
				return len(data), nil
			}
			if data[j+1] != 'u' {
				j++
				continue
			}
			r, ok := hex4(data, j+2)
			if !ok {
				j++
				continue // malformed: the decoder refuses it
			}
			switch {
			case r == 0:
				return 0, errNUL
			case r >= 0xDC00 && r <= 0xDFFF:
				return 0, errInvalidUTF8 // a low surrogate with no high one before it
			case r >= 0xD800 && r <= 0xDBFF:
				lo, ok := rune(0), false
				if j+7 < len(data) && data[j+6] == '\\' && data[j+7] == 'u' {
					lo, ok = hex4(data, j+8)
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return 0, errInvalidUTF8
				}
				j += 11
			default:
				j += 5
			}
		}
	}
	return len(data), nil
}

func hex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, b := range data[at : at+4] {
		switch {
		case b >= '0' && b <= '9':
			r = r<<4 | rune(b-'0')
		case b >= 'a' && b <= 'f':
			r = r<<4 | rune(b-'a'+10)
		case b >= 'A' && b <= 'F':
			r = r<<4 | rune(b-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
