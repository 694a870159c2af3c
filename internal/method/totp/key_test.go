package totp

import (
	"testing"
	"time"

	"github.com/pquerna/otp/hotp"
)

func TestMatchStep(t *testing.T) {
	k, err := newKey("Portico", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_015, 0)
	cur := uint64(now.Unix()) / 30
	codeAt := func(step uint64) string {
		c, err := hotp.GenerateCodeCustom(k.Secret(), step, hotp.ValidateOpts{Digits: k.Digits(), Algorithm: k.Algorithm()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		name string
		code string
		ok   bool
		step uint64
	}{
		{"now", codeAt(cur), true, cur},
		{"one step early", codeAt(cur - 1), true, cur - 1},
		{"one step late", codeAt(cur + 1), true, cur + 1},
		{"two steps early", codeAt(cur - 2), false, 0},
		{"two steps late", codeAt(cur + 2), false, 0},
		{"spaces around", " " + codeAt(cur) + " ", true, cur},
		{"too short", codeAt(cur)[:5], false, 0},
		{"empty", "", false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			step, ok := matchStep(k, c.code, now)
			if ok != c.ok || step != c.step {
				t.Fatalf("matchStep = %d, %v; want %d, %v", step, ok, c.step, c.ok)
			}
		})
	}
}
