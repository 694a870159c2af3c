package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
)

// PasswordConfig is the config of a password credential.
type PasswordConfig struct {
	HashedPassword string `json:"hashed_password"`
}

// supportedHashPrefixes are the hash formats Portico can verify (see internal/hash).
var supportedHashPrefixes = []string{"$2a$", "$2b$", "$2y$", "$argon2id$", "$argon2i$", "$pbkdf2-", "$scrypt$", "{SSHA",
	"$hmac-", "$5$", "$6$", "$sha256-crypt$", "$sha512-crypt$", "$md5$", "$sha1$", "$sha256$", "$sha512$"}

func (m *Manager) validateHash(hashed string) error {
	if v, ok := m.hasher.(HashValidator); ok {
		if err := v.ValidateHash(hashed); err != nil {
			return apierr.ErrBadRequest.WithReason("The hashed password is in an unsupported or malformed format.").WithCause(err)
		}
		return nil
	}
	for _, p := range supportedHashPrefixes {
		if strings.HasPrefix(hashed, p) && len(hashed) > len(p)+8 {
			return nil
		}
	}
	return apierr.ErrBadRequest.WithReason("The hashed password is in an unsupported or malformed format.")
}

func (m *Manager) setPassword(ctx context.Context, id *Identity, password, hashed string, now time.Time) error {
	if password != "" && hashed != "" {
		return apierr.ErrBadRequest.WithReason("Give either a password or a hashed password, not both.")
	}
	if hashed != "" {
		if err := m.validateHash(hashed); err != nil {
			return err
		}
	} else {
		if err := m.CheckPassword(id, password); err != nil {
			return err
		}
		if m.hasher == nil {
			return fmt.Errorf("set password: no password hasher configured")
		}
		h, err := m.hasher.Hash(ctx, []byte(password))
		var kind *apierr.Error
		if errors.As(err, &kind) {
			// The hasher said what went wrong (busy: 503); it is not the password's fault.
			return err
		}
		if err != nil {
			return apierr.ErrBadRequest.WithReason("The password could not be hashed: %s", err).WithCause(err)
		}
		hashed = h
	}
	cfg, err := json.Marshal(PasswordConfig{HashedPassword: hashed})
	if err != nil {
		return fmt.Errorf("encode password config: %w", err)
	}
	if id.Credentials == nil {
		id.Credentials = map[CredentialsType]Credentials{}
	}
	c, ok := id.Credentials[CredentialsPassword]
	if !ok {
		c = Credentials{ID: uuid.New(), Type: CredentialsPassword, Identifiers: []string{}, CreatedAt: now}
	}
	c.Config = cfg
	c.UpdatedAt = now
	id.Credentials[CredentialsPassword] = c
	return nil
}
