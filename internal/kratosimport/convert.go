package kratosimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/lookup"
	"github.com/portico-auth/portico/internal/method/totp"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/session"
)

// Problem is something that cannot be imported, and why.
type Problem struct {
	IdentityID string `json:"identity_id"`
	// What is "identity", a credential type ("password", …) or "session <id>".
	What   string `json:"what"`
	Reason string `json:"reason"`
}

// converted is a Kratos identity as Portico stores it, with what of it cannot come along.
type converted struct {
	ident    *identity.Identity
	sessions []*session.Session
	// dropped are credentials and sessions left behind; the identity itself imports.
	dropped []Problem
	// warnings are imported as they are but deserve a look (traits the schema refuses).
	warnings []Problem
	// emptyKeys counts webauthn/passkey rows without a key (Kratos writes one per identity whose
	// schema names a WebAuthn identifier): nothing to import.
	emptyKeys int
	// sessionsInactive counts sessions left behind because they cannot be used any more.
	sessionsInactive int
}

// convert maps one Kratos identity to Portico's model. An error is a Problem for the whole
// identity: it is not imported.
func (im *importer) convert(k *kIdentity) (*converted, *Problem) {
	fail := func(format string, args ...any) (*converted, *Problem) {
		return nil, &Problem{IdentityID: k.ID.String(), What: "identity", Reason: fmt.Sprintf(format, args...)}
	}
	sch, err := im.opts.Schemas.Get(k.SchemaID)
	if err != nil {
		hint := ""
		if u := im.kratosSchemaURL(k.SchemaID); u != "" {
			hint = fmt.Sprintf(" (Kratos loads it from %s)", u)
		}
		return fail("its identity schema %q is not configured in Portico: add it to identity.schemas%s", k.SchemaID, hint)
	}
	state := identity.State(k.State)
	if state != identity.StateActive && state != identity.StateInactive {
		return fail("unknown state %q", k.State)
	}
	traits, err := compactJSON(k.Traits)
	if err != nil || len(traits) == 0 || traits[0] != '{' {
		return fail("its traits are not a JSON object")
	}
	c := &converted{}
	warn := func(what, format string, args ...any) {
		c.warnings = append(c.warnings, Problem{IdentityID: k.ID.String(), What: what, Reason: fmt.Sprintf(format, args...)})
	}
	drop := func(what, format string, args ...any) {
		c.dropped = append(c.dropped, Problem{IdentityID: k.ID.String(), What: what, Reason: fmt.Sprintf(format, args...)})
	}
	if err := sch.ValidateTraits(traits); err != nil {
		warn("traits", "imported as they are, but Portico's schema %q refuses them (%v): the person will be asked to fix them at the next profile change", k.SchemaID, err)
	}
	ex, err := sch.Extract(traits)
	if err != nil {
		return fail("its traits cannot be read with schema %q: %v", k.SchemaID, err)
	}
	id := &identity.Identity{
		ID:             k.ID,
		SchemaID:       k.SchemaID,
		State:          state,
		StateChangedAt: k.StateChangedAt,
		Traits:         traits,
		MetadataPublic: jsonOrNil(k.MetadataPublic),
		MetadataAdmin:  jsonOrNil(k.MetadataAdmin),
		OrganizationID: k.OrganizationID,
		ExternalID:     k.ExternalID,
		CreatedAt:      k.CreatedAt,
		UpdatedAt:      k.UpdatedAt,
		Credentials:    map[identity.CredentialsType]identity.Credentials{},
	}
	for _, a := range k.Verifiable {
		a.Value = schema.NormalizeValue(a.Value, a.Via == "email")
		id.VerifiableAddresses = append(id.VerifiableAddresses, a)
	}
	for _, a := range k.Recovery {
		a.Value = schema.NormalizeValue(a.Value, a.Via == "email")
		id.RecoveryAddresses = append(id.RecoveryAddresses, a)
	}
	for _, kc := range k.Credentials {
		cred := identity.Credentials{ID: kc.ID, Type: identity.CredentialsType(kc.Type), Version: kc.Version,
			CreatedAt: kc.CreatedAt, UpdatedAt: kc.UpdatedAt}
		switch cred.Type {
		case identity.CredentialsPassword:
			var cfg struct {
				HashedPassword string `json:"hashed_password"`
				MigrationHook  bool   `json:"use_password_migration_hook"`
			}
			if err := json.Unmarshal(kc.Config, &cfg); err != nil {
				drop(kc.Type, "unreadable config: %v", err)
				continue
			}
			if cfg.HashedPassword == "" {
				drop(kc.Type, "no password hash (Kratos's password migration hook holds it elsewhere): Portico has no migration hook, so the person must recover the account or be given a password")
				continue
			}
			if err := hash.Validate(cfg.HashedPassword); err != nil {
				drop(kc.Type, "the stored hash cannot be verified by Portico: %v", err)
				continue
			}
			cred.Config, _ = json.Marshal(identity.PasswordConfig{HashedPassword: cfg.HashedPassword})
			cred.Identifiers = identifiersOr(ex.PasswordIdentifiers, kc.Identifiers)
		case identity.CredentialsTOTP:
			var cfg totp.Config
			if err := json.Unmarshal(kc.Config, &cfg); err != nil || cfg.TOTPURL == "" {
				drop(kc.Type, "no readable totp_url in the config")
				continue
			}
			if _, err := otp.NewKeyFromURL(cfg.TOTPURL); err != nil {
				drop(kc.Type, "the totp_url is not an otpauth URL: %v", err)
				continue
			}
			cred.Config, _ = json.Marshal(totp.Config{TOTPURL: cfg.TOTPURL})
			cred.Identifiers = []string{k.ID.String()}
		case identity.CredentialsLookupSecret:
			codes, err := kratosLookupCodes(kc.Config)
			if err != nil {
				drop(kc.Type, "%v", err)
				continue
			}
			if err := lookup.Import(id, im.opts.Secrets, codes, kc.UpdatedAt); err != nil {
				drop(kc.Type, "%v", err)
				continue
			}
			imported := id.Credentials[identity.CredentialsLookupSecret]
			imported.ID, imported.CreatedAt, imported.Version = kc.ID, kc.CreatedAt, kc.Version
			id.Credentials[identity.CredentialsLookupSecret] = imported
			continue
		case identity.CredentialsWebAuthn, identity.CredentialsPasskey:
			var cfg webauthn.Config
			if err := json.Unmarshal(kc.Config, &cfg); err != nil {
				drop(kc.Type, "unreadable config: %v", err)
				continue
			}
			if len(cfg.Credentials) == 0 {
				c.emptyKeys++
				continue
			}
			cred.Config, _ = json.Marshal(cfg)
			cred.Identifiers = normalised(kc.Identifiers)
			if cred.Type == identity.CredentialsWebAuthn {
				cred.Identifiers = identifiersOr(ex.WebAuthnIdentifiers, kc.Identifiers)
			}
		case identity.CredentialsOIDC:
			// Kept as Kratos stored it (tokens, if any, sealed under Kratos's secrets.cipher) for
			// when Portico signs in with OIDC; the admin API shows the link meanwhile.
			cfg, err := compactJSON(kc.Config)
			if err != nil {
				drop(kc.Type, "unreadable config: %v", err)
				continue
			}
			cred.Config = cfg
			cred.Identifiers = kc.Identifiers
		case identity.CredentialsCode:
			// The addresses codes go to, as Kratos named them (no secret).
			var cfg identity.CodeConfig
			if len(bytes.TrimSpace(kc.Config)) > 0 {
				if err := json.Unmarshal(kc.Config, &cfg); err != nil {
					drop(kc.Type, "unreadable config: %v", err)
					continue
				}
			}
			cred.Identifiers = normalised(kc.Identifiers)
			cfg.Addresses = codeAddresses(cfg.Addresses, cred.Identifiers)
			cred.Config, _ = json.Marshal(cfg)
		default:
			drop(kc.Type, "Portico does not support %s credentials", kc.Type)
			continue
		}
		if cred.Identifiers == nil {
			cred.Identifiers = []string{}
		}
		id.Credentials[cred.Type] = cred
	}
	c.ident = id
	for _, ks := range k.Sessions {
		s, why := im.convertSession(ks)
		switch {
		case s != nil:
			c.sessions = append(c.sessions, s)
		case why == "":
			c.sessionsInactive++
		default:
			drop("session "+ks.ID.String(), "%s", why)
		}
	}
	return c, nil
}

// convertSession maps a Kratos session; nil with an empty reason for one that can no longer
// be used (revoked, expired), which is not a problem.
func (im *importer) convertSession(ks kSession) (*session.Session, string) {
	if !ks.Active || !ks.ExpiresAt.After(im.now()) {
		return nil, ""
	}
	if ks.Token == "" {
		return nil, "the session has no token"
	}
	aal := session.AAL(ks.AAL)
	if aal != session.AAL1 && aal != session.AAL2 {
		return nil, fmt.Sprintf("unknown authenticator assurance level %q", ks.AAL)
	}
	var methods []session.AuthenticationMethod
	if len(bytes.TrimSpace(ks.Methods)) > 0 {
		if err := json.Unmarshal(ks.Methods, &methods); err != nil {
			return nil, fmt.Sprintf("unreadable authentication_methods: %v", err)
		}
	}
	if aal == session.AAL2 && len(methods) > 0 && session.LevelOf(methods) != session.AAL2 {
		// Portico's one rule: two methods of one kind (two email codes) are not aal2, even
		// when Kratos counted them so.
		aal = session.AAL1
	}
	devices := ks.Devices
	if devices == nil {
		devices = []session.Device{}
	}
	return &session.Session{
		ID:                    ks.ID,
		Active:                true,
		ExpiresAt:             ks.ExpiresAt,
		AuthenticatedAt:       ks.AuthenticatedAt,
		AAL:                   aal,
		AuthenticationMethods: methods,
		IssuedAt:              ks.IssuedAt,
		Devices:               devices,
		IdentityID:            ks.IdentityID,
		// Kratos keeps the token itself; Portico only its SHA-256, which is what whoami looks
		// up: the same token keeps working.
		TokenHash: session.HashToken(ks.Token),
	}, ""
}

// kratosLookupCodes reads Kratos's lookup_secret config: the codes in plain text with their
// used_at (null, a time, Go's zero time, or the {"Time", "Valid"} of older Kratos versions).
func kratosLookupCodes(raw []byte) ([]lookup.ImportedCode, error) {
	var cfg struct {
		RecoveryCodes []struct {
			Code   string          `json:"code"`
			UsedAt json.RawMessage `json:"used_at"`
		} `json:"recovery_codes"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("unreadable config: %v", err)
	}
	if len(cfg.RecoveryCodes) == 0 {
		return nil, fmt.Errorf("no recovery codes in the config")
	}
	out := make([]lookup.ImportedCode, 0, len(cfg.RecoveryCodes))
	for _, c := range cfg.RecoveryCodes {
		used, err := usedAt(c.UsedAt)
		if err != nil {
			return nil, err
		}
		out = append(out, lookup.ImportedCode{Code: c.Code, UsedAt: used})
	}
	return out, nil
}

func usedAt(raw json.RawMessage) (*time.Time, error) {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 || string(s) == "null" {
		return nil, nil
	}
	var t time.Time
	if s[0] == '{' {
		var nt struct {
			Time  time.Time
			Valid bool
		}
		if err := json.Unmarshal(s, &nt); err != nil {
			return nil, fmt.Errorf("unreadable used_at %s", s)
		}
		if !nt.Valid {
			return nil, nil
		}
		t = nt.Time
	} else if err := json.Unmarshal(s, &t); err != nil {
		return nil, fmt.Errorf("unreadable used_at %s", s)
	}
	if t.IsZero() {
		return nil, nil
	}
	return &t, nil
}

// identifiersOr is Portico's own extraction of identifiers from the traits (normalised as
// every Portico lookup expects), or Kratos's identifiers normalised when the schema names none.
func identifiersOr(extracted, kratos []string) []string {
	if len(extracted) > 0 {
		return extracted
	}
	return normalised(kratos)
}

// codeAddresses are a code credential's addresses as Portico stores them: Kratos's, normalised,
// or (an older Kratos that stored none) one per identifier.
func codeAddresses(in []identity.CodeAddress, identifiers []string) []identity.CodeAddress {
	out := []identity.CodeAddress{}
	for _, a := range in {
		out = append(out, identity.CodeAddress{Channel: a.Channel, Address: schema.NormalizeValue(a.Address, a.Channel == "email")})
	}
	if len(out) > 0 {
		return out
	}
	for _, v := range identifiers {
		ch := "sms"
		if strings.Contains(v, "@") {
			ch = "email"
		}
		out = append(out, identity.CodeAddress{Channel: ch, Address: v})
	}
	return out
}

func normalised(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		out = append(out, identity.NormalizeIdentifier(v))
	}
	return out
}

func compactJSON(raw []byte) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// jsonOrNil is metadata as Portico stores it: absent for NULL or a JSON null.
func jsonOrNil(raw []byte) json.RawMessage {
	c, err := compactJSON(raw)
	if err != nil || len(c) == 0 || string(c) == "null" {
		return nil
	}
	return c
}
