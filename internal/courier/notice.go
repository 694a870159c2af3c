package courier

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
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
	data, err := n.data(before, c)
	if err != nil {
		return 0, err
	}
	var errs []error
	sent := 0
	for _, to := range verifiedEmails(before) {
		if _, err := n.Queue.Enqueue(ctx, Request{Template: CredentialChanged, To: to, Data: data}); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

// AccountDeleted prepares, without queueing them, the account_deleted messages to every
// verified email address of ident, which is deleting itself now (c.What is not used): the
// store queues them in the deletion's own transaction, so a notice exists exactly when the
// deletion happened. It does not depend on courier.notices.credential_changed.enabled: the
// deletion itself is opt-in (selfservice.methods.delete_account.enabled).
func (n *Notifier) AccountDeleted(ident *identity.Identity, c Change) ([]*store.Message, error) {
	if n == nil || n.Queue == nil || ident == nil {
		return nil, nil
	}
	data, err := n.data(ident, c)
	if err != nil {
		return nil, err
	}
	data.Change = ""
	var out []*store.Message
	for _, to := range verifiedEmails(ident) {
		m, err := n.Queue.Prepare(Request{Template: AccountDeleted, To: to, Data: data})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// data is the template data of a notice about ident: the identity, what changed, when and
// from which device.
func (n *Notifier) data(ident *identity.Identity, c Change) (TemplateData, error) {
	id, err := IdentityData(ident.Public(n.PublicBase))
	if err != nil {
		return TemplateData{}, err
	}
	return TemplateData{Identity: id, Change: c.What, ChangedAt: c.At.UTC().Format(time.RFC3339),
		UserAgent: deviceText(c.UserAgent), IPAddress: deviceText(c.IPAddress)}, nil
}

// verifiedEmails lists ident's verified email addresses, each once (case-insensitively).
func verifiedEmails(ident *identity.Identity) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range ident.VerifiableAddresses {
		to := strings.ToLower(a.Value)
		if !a.Verified || a.Via != "email" || seen[to] {
			continue
		}
		seen[to] = true
		out = append(out, a.Value)
	}
	return out
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
