package config

import (
	"fmt"
	"strings"
)

// CheckServeSecrets refuses to serve outside dev mode without a usable cookie secret. Without
// one, serve would start and then answer 500 to every change needing re-authentication and to
// every revealed recovery code (nothing to sign or seal them with); and a secret copied from
// an example is no secret. Dev mode generates one instead. Other commands (migrate, cleanup)
// need no secrets, so Load does not check this.
func (c *Config) CheckServeSecrets() error {
	if c.Dev {
		return nil
	}
	if len(c.CookieSecrets()) == 0 {
		return invalid("secrets.cookie", "required without --dev: set at least one random secret of 16 or more characters (secrets.cookie or secrets.default, or the SECRETS_COOKIE environment variable); it signs cookies and seals flow data")
	}
	for _, s := range []struct {
		path string
		list []string
	}{{"secrets.default", c.Secrets.Default}, {"secrets.cookie", c.Secrets.Cookie}, {"secrets.cipher", c.Secrets.Cipher}} {
		for i, v := range s.list {
			if why := weakSecret(v); why != "" {
				// Never echo the secret itself.
				return invalid(fmt.Sprintf("%s[%d]", s.path, i), "%s: use a random value (e.g. openssl rand -hex 16), or run with --dev", why)
			}
		}
	}
	return nil
}

// minSecretDistinct is the fewest different characters a secret may have: 16 random hex digits
// show at least 8 but for a vanishing fraction of draws; "aaaaaaaaaaaaaaaa" or "1212121212121212"
// are not secrets.
const minSecretDistinct = 8

// placeholderWords mark values copied from documentation and quickstarts
// ("PLEASE-CHANGE-ME-I-AM-VERY-INSECURE", "32-LONG-SECRET-NOT-SECURE-AT-ALL").
var placeholderWords = []string{"changeme", "insecure", "placeholder", "example", "notsecure"}

// weakSecret says why v is not a secret, or "" when it may be one. Lengths are checked by
// validate in every mode.
func weakSecret(v string) string {
	distinct := map[rune]bool{}
	for _, r := range v {
		distinct[r] = true
	}
	if len(distinct) < minSecretDistinct {
		return fmt.Sprintf("has only %d different characters", len(distinct))
	}
	folded := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ', '.':
			return -1
		}
		return r
	}, strings.ToLower(v))
	for _, w := range placeholderWords {
		if strings.Contains(folded, w) {
			return "looks like a placeholder from an example configuration"
		}
	}
	return ""
}
