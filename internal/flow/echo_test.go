package flow

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portico-auth/portico/internal/apierr"
)

// TestReturnToLengthCap: a return_to longer than MaxEchoLength is refused with the usual
// return_to error, even on an allowed origin, and the error quotes at most MaxEchoLength bytes.
func TestReturnToLengthCap(t *testing.T) {
	rt := testReturnTo()
	base := "http://127.0.0.1:4433/"
	fits := base + strings.Repeat("a", MaxEchoLength-len(base))
	if _, err := rt.Check(fits); err != nil {
		t.Fatalf("a return_to of exactly %d bytes: %v", MaxEchoLength, err)
	}
	long := fits + "a"
	_, err := rt.Check(long)
	ae := apierr.From(err)
	if ae.ID != "self_service_flow_return_to_forbidden" || ae.Code != 400 {
		t.Fatalf("a return_to of %d bytes: %v", len(long), err)
	}
	huge := "https://evil.example/" + strings.Repeat("é", 300_000)
	_, err = rt.Check(huge)
	if r := apierr.From(err).Reason; len(r) > MaxEchoLength+100 || !utf8.ValidString(r) || !strings.Contains(r, "…") {
		t.Fatalf("reason quotes %d bytes (valid UTF-8: %v)", len(r), utf8.ValidString(r))
	}
}

func TestEcho(t *testing.T) {
	if Echo("short") != "short" {
		t.Fatal("short input changed")
	}
	for _, s := range []string{strings.Repeat("x", 5000), strings.Repeat("€", 5000), "a" + strings.Repeat("😀", 3000)} {
		e := Echo(s)
		if len(e) > MaxEchoLength || !utf8.ValidString(e) || !strings.HasSuffix(e, "…") {
			t.Fatalf("Echo of %d bytes: %d bytes, valid %v", len(s), len(e), utf8.ValidString(e))
		}
	}
}
