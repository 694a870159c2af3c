package lookup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/seal"
)

// ImportedCode is a recovery code brought from another system in plain text (Kratos keeps
// them so), with the time it was used, if it was.
type ImportedCode struct {
	Code   string
	UsedAt *time.Time
}

// Import sets ident's lookup_secret credential to codes as if they had been generated here:
// hashed, sealed for reveal under secrets (the server's secrets.cipher, then its cookie
// secrets, as NewSettings is given them), used codes kept used. Call the store to persist.
func Import(ident *identity.Identity, secrets []string, codes []ImportedCode, now time.Time) error {
	if len(codes) == 0 {
		return fmt.Errorf("import recovery codes: none given")
	}
	plain := make([]string, len(codes))
	for i, c := range codes {
		if normalise(c.Code) == "" {
			return fmt.Errorf("import recovery codes: code %d is empty", i+1)
		}
		plain[i] = c.Code
	}
	cfg, err := newConfig(seal.New(seal.PurposeLookupCodes, secrets), ident, plain)
	if err != nil {
		return err
	}
	for i, c := range codes {
		if c.UsedAt != nil {
			t := c.UsedAt.UTC()
			cfg.RecoveryCodes[i].UsedAt = &t
		}
	}
	return writeConfig(ident, cfg, now)
}

// maxImportedCodes bounds the codes of one imported credential.
const maxImportedCodes = 100

// ImportConfig sets ident's lookup_secret credential from config in the shape the admin API
// shows it (`portico identities export` writes it): the salt and the codes' hashes with their
// use, so that a used code stays used. The sealed plain text (sealed_codes) is bound to the
// identity it was exported from and to that server's secrets: it is dropped, and the codes can
// no longer be revealed, only used or regenerated. A refusal is a 400 in Kratos's error shape.
// Call the identity manager to persist.
func ImportConfig(ident *identity.Identity, config json.RawMessage, now time.Time) error {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return refuse("the config is not {\"salt\": …, \"recovery_codes\": […]}: %v", err)
	}
	if b, err := hex.DecodeString(cfg.Salt); err != nil || len(b) < 8 || len(b) > 64 {
		return refuse("salt is not 8 to 64 bytes in hex.")
	}
	if n := len(cfg.RecoveryCodes); n == 0 || n > maxImportedCodes {
		return refuse("recovery_codes holds 1 to %d codes.", maxImportedCodes)
	}
	seen := map[string]bool{}
	for i, c := range cfg.RecoveryCodes {
		if b, err := hex.DecodeString(c.Hash); err != nil || len(b) != sha256.Size || c.Hash != strings.ToLower(c.Hash) {
			return refuse("recovery_codes[%d].hash is not a SHA-256 hash in lower-case hex.", i)
		}
		if seen[c.Hash] {
			return refuse("recovery_codes[%d] is given twice.", i)
		}
		seen[c.Hash] = true
		if c.UsedAt != nil {
			if c.UsedAt.IsZero() {
				cfg.RecoveryCodes[i].UsedAt = nil
			} else {
				t := c.UsedAt.UTC()
				cfg.RecoveryCodes[i].UsedAt = &t
			}
		}
	}
	cfg.Sealed = ""
	return writeConfig(ident, cfg, now)
}

func refuse(format string, args ...any) error {
	return apierr.ErrBadRequest.WithReason("credentials.lookup_secret.config: "+format, args...)
}
