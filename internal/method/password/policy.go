package password

import (
	"strings"
	"unicode/utf8"

	"github.com/portico-auth/portico/internal/text"
)

// MaxLength is the longest password accepted, in bytes: bcrypt reads no more than 72.
const MaxLength = 72

// Policy is what a new password must meet (selfservice.methods.password.config). The server
// builds one and hands it to the identity manager, which applies it to every plain-text password
// before hashing it: sign-up, settings and the admin API (create, update, import) alike.
type Policy struct {
	MinLength int
	// SimilarityCheck refuses passwords too close to one of the identity's identifiers.
	SimilarityCheck bool
}

// Check returns the message that explains why password is refused, or nil when it is fine:
// too short, too long, too similar to one of identifiers (the identity's e-mail addresses and
// user names), or on the breach list (4000034, as Kratos says for a password found in breaches).
func (p Policy) Check(password string, identifiers []string) *text.Message {
	n := utf8.RuneCountInString(password)
	if n < p.MinLength {
		m := text.NewPasswordMinLength(p.MinLength, n)
		return &m
	}
	if len(password) > MaxLength {
		m := text.NewPasswordMaxLength(MaxLength, len(password))
		return &m
	}
	if p.SimilarityCheck {
		for _, id := range identifiers {
			if tooSimilar(password, id) {
				m := text.NewPasswordTooSimilar()
				return &m
			}
		}
	}
	if IsBreached(password) {
		m := text.NewPasswordBreached()
		return &m
	}
	return nil
}

// tooSimilar reports whether the password is essentially the identifier: equal to it or to its
// local part (ignoring case), or sharing a common substring that covers most of either.
func tooSimilar(password, identifier string) bool {
	if identifier == "" {
		return false
	}
	p := strings.ToLower(password)
	id := strings.ToLower(identifier)
	if local, _, ok := strings.Cut(id, "@"); ok && local != "" && p == local {
		return true
	}
	if p == id {
		return true
	}
	common := longestCommonSubstring(p, id)
	shorter := min(len(p), len(id))
	// Refuse when the shared run is at least 5 bytes and makes up 80% of the shorter string.
	return common >= 5 && float64(common) >= 0.8*float64(shorter)
}

func longestCommonSubstring(a, b string) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	best := 0
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
				if cur[j] > best {
					best = cur[j]
				}
			} else {
				cur[j] = 0
			}
		}
		prev, cur = cur, prev
	}
	return best
}
