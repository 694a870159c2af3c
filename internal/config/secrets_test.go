package config

import (
	"strings"
	"testing"
)

// TestCheckServeSecrets: serve outside dev mode needs a cookie secret that is not a repeated
// character or a value copied from an example; dev mode and the other commands need none.
func TestCheckServeSecrets(t *testing.T) {
	for _, c := range []struct {
		name    string
		secrets string
		dev     bool
		want    string // "" = accepted
	}{
		{"missing", "", false, "secrets.cookie: required without --dev"},
		{"missing in dev mode", "", true, ""},
		{"cookie", "secrets:\n  cookie: [\"9f2c1d7e4b8a6035\"]\n", false, ""},
		{"default as fallback", "secrets:\n  default: [\"9f2c1d7e4b8a6035\"]\n", false, ""},
		{"cipher is not a cookie secret", "secrets:\n  cipher: [\"9f2c1d7e4b8a60359f2c1d7e4b8a6035\"]\n", false, "secrets.cookie: required"},
		{"low variety", "secrets:\n  cookie: [\"abababababababab\"]\n", false, "secrets.cookie[0]: has only 2 different characters"},
		{"rotated weak one", "secrets:\n  cookie: [\"9f2c1d7e4b8a6035\", \"change_me_change_me_now\"]\n", false, "secrets.cookie[1]: looks like a placeholder"},
		{"quickstart", "secrets:\n  cookie: [\"PLEASE-CHANGE-ME-I-AM-VERY-INSECURE\"]\n", false, "secrets.cookie[0]: looks like a placeholder"},
		{"quickstart in dev mode", "secrets:\n  cookie: [\"PLEASE-CHANGE-ME-I-AM-VERY-INSECURE\"]\n", true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, _, err := load(t, minimal+c.secrets, nil, c.dev)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.CheckServeSecrets()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), "CHANGE-ME"):
				t.Fatalf("the error echoes the secret: %v", err)
			}
		})
	}
}
