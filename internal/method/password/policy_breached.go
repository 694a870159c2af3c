package password

import (
	"crypto/sha256"
	_ "embed" // breached.bin
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:generate go run ./breachgen -o breached.bin

// breached is the breach list: the sorted BreachFingerprint of every entry of the lists named in
// NOTICE.breached.md (about 400,000 passwords taken from leaked dumps), BreachFingerprintSize
// bytes each. It is read in place from the binary's read-only data, so it costs no heap and no
// start-up time; a lookup is one SHA-256 and a binary search of ~19 steps.
//
//go:embed breached.bin
var breached string

// BreachFingerprintSize is the bytes of SHA-256 kept per entry. 48 bits make a false positive (a
// strong password refused because its truncated hash equals a listed one's) about
// entries/2^48, one in several hundred million, while the list stays at 6 bytes an entry.
const BreachFingerprintSize = 6

// minListedLength is the shortest entry worth listing: the configured minimum length
// (selfservice.methods.password.config.min_password_length) cannot go below 6, so anything
// shorter is refused by length before the list is asked.
const minListedLength = 6

// fingerprint is the list key of a password: its lower-cased form, so that a capitalised
// common password counts as the common password it is.
func fingerprint(password string) (fp [BreachFingerprintSize]byte) {
	sum := sha256.Sum256([]byte(strings.ToLower(password)))
	copy(fp[:], sum[:])
	return fp
}

// BreachFingerprint is how breachgen turns one line of a source list into a list key. ok is
// false for entries the policy never meets (shorter than any allowed minimum, longer than
// MaxLength, not UTF-8, with control characters), which keeps the list small.
func BreachFingerprint(entry string) (fp [BreachFingerprintSize]byte, ok bool) {
	entry = strings.TrimRight(entry, "\r\n")
	if !utf8.ValidString(entry) || len(entry) > MaxLength || utf8.RuneCountInString(entry) < minListedLength {
		return fp, false
	}
	if strings.IndexFunc(entry, unicode.IsControl) >= 0 {
		return fp, false
	}
	return fingerprint(entry), true
}

// breachedCount is the number of entries in the embedded list.
func breachedCount() int { return len(breached) / BreachFingerprintSize }

// IsBreached reports whether password (ignoring case) is on the embedded breach list.
func IsBreached(password string) bool {
	fp := fingerprint(password)
	key := string(fp[:])
	n := breachedCount()
	i := sort.Search(n, func(i int) bool {
		return breached[i*BreachFingerprintSize:(i+1)*BreachFingerprintSize] >= key
	})
	return i < n && breached[i*BreachFingerprintSize:(i+1)*BreachFingerprintSize] == key
}
