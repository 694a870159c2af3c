package hash

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
		"$argon2i$m=64,t=1,p=1$c2FsdA$aGFzaA",
		"$pbkdf2-sha256$i=1000,l=4$c2FsdA$aGFzaA",
		"$scrypt$ln=10,r=8,p=1$c2FsdA$aGFzaA",
		"$2a$04$abcdefghijklmnopqrstuu5Q2pZ6b0bKq1Jq1Jq1Jq1Jq1Jq1Jq1J",
		"{SSHA}AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$", "$$$$", "$argon2id$v=$m=,t=,p=$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parse(s)
		if err != nil {
			return
		}
		// A parsed PHC hash re-encodes to a string that parses to the same values.
		if a, ok := v.(argon2Hash); ok {
			again, err := parsePHC(a.String())
			if err != nil {
				t.Fatalf("re-encoded %q does not parse: %v", a.String(), err)
			}
			if !bytes.Equal(again.salt, a.salt) || !bytes.Equal(again.hash, a.hash) || again.id != a.id {
				t.Fatalf("round trip changed %q", s)
			}
			for k, n := range a.params {
				if again.params[k] != n {
					t.Fatalf("round trip changed parameter %s of %q", k, s)
				}
			}
		}
	})
}
