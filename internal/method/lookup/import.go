package lookup

import (
	"fmt"
	"time"

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
