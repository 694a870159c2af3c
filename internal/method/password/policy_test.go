package password

import (
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/text"
)

func TestPolicyCheck(t *testing.T) {
	p := Policy{MinLength: 8, SimilarityCheck: true}
	ids := []string{"ada.lovelace@example.com"}
	cases := []struct {
		name     string
		password string
		wantID   int // 0 = accepted
	}{
		{"fine", "correct horse battery", 0},
		{"too short", "short", text.ErrorValidationPasswordMinLength},
		{"too long", strings.Repeat("x", 73), text.ErrorValidationPasswordMaxLength},
		{"equals identifier", "Ada.Lovelace@example.com", text.ErrorValidationPasswordIdentifierTooSimilar},
		{"equals local part", "ada.lovelace", text.ErrorValidationPasswordIdentifierTooSimilar},
		{"identifier plus a digit", "ada.lovelace1", text.ErrorValidationPasswordIdentifierTooSimilar},
		{"shares a little", "lovely-garden-42", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := p.Check(c.password, ids)
			switch {
			case c.wantID == 0 && m != nil:
				t.Fatalf("refused with %d %q", m.ID, m.Text)
			case c.wantID != 0 && (m == nil || m.ID != c.wantID):
				t.Fatalf("want message %d, got %+v", c.wantID, m)
			}
		})
	}
	if m := (Policy{MinLength: 8}).Check("ada.lovelace", ids); m != nil {
		t.Fatalf("similarity check off, still refused: %+v", m)
	}
}
