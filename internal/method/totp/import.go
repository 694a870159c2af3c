package totp

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/totp/qrcode"
)

// minSecretBytes is the shortest TOTP secret an import keeps (80 bits, RFC 4226's floor).
const minSecretBytes = 10

// ImportConfig sets ident's totp credential from config, in the shape the admin API shows it
// (`portico identities export` writes it): {"totp_url": "otpauth://totp/…", "last_used_step": n}.
// The URL must be a TOTP otpauth URL whose secret is base32 of at least 80 bits, with 6 or 8
// digits. A refusal is a 400 in Kratos's error shape. Call the identity manager to persist.
func ImportConfig(ident *identity.Identity, config json.RawMessage, now time.Time) error {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return refuse("the config is not {\"totp_url\": …}: %v", err)
	}
	if cfg.TOTPURL == "" {
		return refuse("totp_url is required.")
	}
	if len(cfg.TOTPURL) > qrcode.MaxBytes {
		return refuse("totp_url is longer than %d bytes.", qrcode.MaxBytes)
	}
	k, err := otp.NewKeyFromURL(cfg.TOTPURL)
	if err != nil || k.Type() != "totp" {
		return refuse("totp_url is not an otpauth://totp/ URL.")
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(k.Secret(), "=")))
	if err != nil || len(secret) < minSecretBytes {
		return refuse("the secret in totp_url is not base32 of at least %d bytes.", minSecretBytes)
	}
	if d := k.Digits(); d != otp.DigitsSix && d != otp.DigitsEight {
		return refuse("the digits in totp_url are not 6 or 8.")
	}
	if p := k.Period(); p > 300 {
		return refuse("the period in totp_url is over 300 seconds.")
	}
	// The credential's identifier is the identity's id: the caller sets it first.
	return writeConfig(ident, cfg, now)
}

func refuse(format string, args ...any) error {
	return apierr.ErrBadRequest.WithReason("credentials.totp.config: "+format, args...)
}
