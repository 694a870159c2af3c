package totp_test

import (
	"net/http"
	"testing"
	"time"
)

// TestSecondFactorThrottled: someone holding the password (an aal1 session) must not be able
// to guess TOTP codes without limit. After a handful of wrong codes the identity's second
// factor is blocked for a while, so even the right code is refused (429); later it works.
func TestSecondFactorThrottled(t *testing.T) {
	s, secret, p := enrolledAgain(t, "spa", "throttle@example.com")
	_, lf := p.StartLogin("aal=aal2")
	if lf == nil {
		t.Fatal("no aal2 login flow")
	}
	wrong := "000000"
	if code(t, secret, s.Clock.Now()) == wrong {
		wrong = "111111"
	}
	blocked := false
	for i := 0; i < 50 && !blocked; i++ {
		res, _ := p.Submit("login", lf, map[string]any{"method": "totp", "totp_code": wrong})
		switch res.StatusCode {
		case http.StatusBadRequest:
		case http.StatusTooManyRequests:
			blocked = true
		default:
			t.Fatalf("wrong code %d: %d %s", i, res.StatusCode, res.Body)
		}
	}
	if !blocked {
		t.Fatal("50 wrong TOTP codes in a row were never throttled")
	}
	res, _ := p.Submit("login", lf, map[string]any{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right code while blocked: %d %s", res.StatusCode, res.Body)
	}
	s.Clock.Advance(time.Hour)
	_, lf = p.StartLogin("aal=aal2")
	res, _ = p.Submit("login", lf, map[string]any{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("right code after the window: %d %s", res.StatusCode, res.Body)
	}
}
