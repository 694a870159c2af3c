package courier

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portico-auth/portico/internal/identity"
)

// What a credential_changed notice reports (TemplateData.Change): the credential types, and a
// change of the addresses that can recover the account.
const (
	ChangePassword        = "password"
	ChangeTOTP            = "totp"
	ChangeLookupSecret    = "lookup_secret"
	ChangeWebAuthn        = "webauthn"
	ChangePasskey         = "passkey"
	ChangeRecoveryAddress = identity.ChangeRecoveryAddress
)

// maxDeviceText bounds the user agent and address a notice quotes.
const maxDeviceText = 200

// Change describes one change to tell the identity about; never the secret itself.
type Change struct {
	// What is a Change… constant.
	What string
	// At is when it happened; UserAgent and IPAddress are the device that made it.
	At                   time.Time
	UserAgent, IPAddress string
}

// Notifier sends credential_changed notices (courier.notices.credential_changed.enabled).
type Notifier struct {
	Queue   *Queue
	Enabled bool
	// PublicBase is serve.public.base_url, for the identity's schema_url in template data.
	PublicBase string
}

// CredentialChanged queues a credential_changed message to every verified email address of
// before, the identity as it was before the change: a changed recovery address must be told
// to the addresses that could recover the account until then, not to the one that replaced
// them. It returns how many it queued. Call it once the change is stored; an error means a
// notice was not queued, never that the change failed.
func (n *Notifier) CredentialChanged(ctx context.Context, before *identity.Identity, c Change) (int, error) {
	if n == nil || !n.Enabled || before == nil {
		return 0, nil
	}
	ident, err := IdentityData(before.Public(n.PublicBase))
	if err != nil {
		return 0, err
	}
	data := TemplateData{Identity: ident, Change: c.What, ChangedAt: c.At.UTC().Format(time.RFC3339),
		UserAgent: deviceText(c.UserAgent), IPAddress: deviceText(c.IPAddress)}
	seen := map[string]bool{}
	var errs []error
	sent := 0
	for _, a := range before.VerifiableAddresses {
		to := strings.ToLower(a.Value)
		if !a.Verified || a.Via != "email" || seen[to] {
			continue
		}
		seen[to] = true
		if _, err := n.Queue.Enqueue(ctx, Request{Template: CredentialChanged, To: a.Value, Data: data}); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

// Changes lists what changed between before and after that deserves a notice
// (identity.CredentialChanges: the credential types whose stored credential differs, and
// ChangeRecoveryAddress when the set of recovery addresses differs). A profile edit that
// touches neither yields nothing. The call site of a settings success is then
//
//	for _, what := range courier.Changes(before, after) {
//		notices.CredentialChanged(ctx, before, courier.Change{What: what, At: now, UserAgent: ua, IPAddress: ip})
//	}
func Changes(before, after *identity.Identity) []string {
	return identity.CredentialChanges(before, after)
}

// deviceText makes a client-supplied string safe to quote in a message: one line of printable
// characters, bounded.
func deviceText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxDeviceText {
		s = s[:maxDeviceText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}
