package session_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/session"
)

func TestLogoutTokens(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	old := session.NewLogoutTokens([]string{"the-old-cookie-secret-of-32-chars"})
	tok := old.Token(a)
	if tok != old.Token(a) {
		t.Fatal("the logout token of a session changes between calls")
	}
	if !strings.HasPrefix(tok, session.LogoutTokenPrefix) || len(tok) != len(session.LogoutTokenPrefix)+43 {
		t.Fatalf("token %q is not shaped like Kratos's", tok)
	}
	if tok == old.Token(b) {
		t.Fatal("two sessions share a logout token")
	}
	if !old.Verify(a, tok) || old.Verify(b, tok) {
		t.Fatal("a token verifies for the wrong session, or not for its own")
	}
	for _, bad := range []string{"", "ory_lo_", strings.TrimPrefix(tok, session.LogoutTokenPrefix), tok[:len(tok)-1], tok + "0",
		strings.Replace(tok, session.LogoutTokenPrefix, session.TokenPrefix, 1)} {
		if old.Verify(a, bad) {
			t.Errorf("%q verified", bad)
		}
	}

	// Rotation: a new secret signs, the old one, still listed, verifies links made under it.
	rotated := session.NewLogoutTokens([]string{"the-new-cookie-secret-of-32-chars", "the-old-cookie-secret-of-32-chars"})
	if rotated.Token(a) == tok || !rotated.Verify(a, tok) || !rotated.Verify(a, rotated.Token(a)) {
		t.Fatal("rotation: the new secret must sign and the old one still verify")
	}
	if session.NewLogoutTokens([]string{"the-new-cookie-secret-of-32-chars"}).Verify(a, tok) {
		t.Fatal("a token verified under a secret that is no longer listed")
	}

	// Without secrets a key of this process: tokens work, but are not the empty key's.
	none := session.NewLogoutTokens(nil)
	if !none.Verify(a, none.Token(a)) || none.Token(a) == session.NewLogoutTokens(nil).Token(a) {
		t.Fatal("without secrets each process must have a random key of its own")
	}
}
