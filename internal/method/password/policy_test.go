package password

import (
	"runtime"
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

// TestBreachList: the embedded list is large, sorted (binary search depends on it) and holds the
// samples the old list missed, in any case; a strong password is not on it.
func TestBreachList(t *testing.T) {
	if len(breached)%BreachFingerprintSize != 0 {
		t.Fatalf("list length %d is not a multiple of %d", len(breached), BreachFingerprintSize)
	}
	if n := breachedCount(); n < 100_000 {
		t.Fatalf("%d entries, want at least 100,000", n)
	}
	for i := 1; i < breachedCount(); i++ {
		a := breached[(i-1)*BreachFingerprintSize : i*BreachFingerprintSize]
		b := breached[i*BreachFingerprintSize : (i+1)*BreachFingerprintSize]
		if a >= b {
			t.Fatalf("entry %d is not above entry %d", i, i-1)
		}
	}
	for _, pw := range []string{"password1", "password123", "qwerty123456", "iloveyou", "trustno1", "QWERTY123456", "barndog2256"} {
		if !IsBreached(pw) {
			t.Errorf("IsBreached(%q) = false", pw)
		}
	}
	for _, pw := range []string{"vT8#qLz!m2Wp", "correct horse battery staple 7731"} {
		if IsBreached(pw) {
			t.Errorf("IsBreached(%q) = true", pw)
		}
	}
	if m := (Policy{MinLength: 8}).Check("qwerty123456", nil); m == nil || m.ID != text.ErrorValidationPasswordTooManyBreaches {
		t.Fatalf("policy: %+v, want 4000034", m)
	}
}

// TestBreachListCostsNoHeap: the list is searched in place in the binary's read-only data;
// the first lookups allocate nothing that grows with the list.
func TestBreachListCostsNoHeap(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, pw := range []string{"password1", "not-on-any-list-93812"} {
		IsBreached(pw)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("list %d bytes (%d entries); heap after first lookups %+d bytes", len(breached), breachedCount(), grew)
	if grew > 64<<10 {
		t.Fatalf("heap grew by %d bytes", grew)
	}
}
