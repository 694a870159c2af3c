package deleteaccount

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// ID is the method's name and its node group.
const ID = string(flow.GroupDeleteAccount)

// Confirmation is the word the confirm field must hold: a fixed word, so the check does not
// depend on which identifier the identity has, and typing it is a deliberate act.
const Confirmation = "DELETE"

// Store deletes an account in one transaction (satisfied by store.Store).
type Store interface {
	DeleteAccount(ctx context.Context, id, sessionID uuid.UUID, now time.Time, notices []*store.Message) error
}

// Notices prepares the account_deleted messages (satisfied by *courier.Notifier).
type Notices interface {
	AccountDeleted(ident *identity.Identity, c courier.Change) ([]*store.Message, error)
}

// Method is the delete_account settings method.
type Method struct {
	Store Store
	// Notices prepares the notice queued with the deletion; nil sends none.
	Notices Notices
	// ClientAddress is the request's client address as the server trusts it
	// (serve.public.trusted_proxies), for the notice and the audit line.
	ClientAddress func(*http.Request) string
	// Audit records the trail's identity_deleted event in the deletion's transaction; nil
	// records none.
	Audit *audithttp.Recorder
	Now   func() time.Time
	Log   *slog.Logger
}

// ID implements settings.Method.
func (m *Method) ID() string { return ID }

// Nodes implements settings.Method: the confirm field and the button, unless an admin
// forbade the deletion for this identity.
func (m *Method) Nodes(_ context.Context, f *settings.Flow, ident *identity.Identity) error {
	if forbidden(ident) {
		return nil
	}
	label := text.New(text.InfoSettingsDeleteAccountConfirm, map[string]any{"confirmation": Confirmation})
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupDeleteAccount, flow.InputAttributes{Name: "confirm", Type: flow.InputText, Required: true,
			Autocomplete: "off", MaxLength: len(Confirmation)}, &label),
		flow.NewSubmit(flow.GroupDeleteAccount, ID, text.New(text.InfoSettingsDeleteAccount, nil)))
	return nil
}

// Update implements settings.Method: with the confirmation typed and a privileged session,
// the account is deleted and settings.ErrIdentityDeleted returned.
func (m *Method) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	if forbidden(sub.Identity) {
		return apierr.ErrForbidden.WithReason("Deleting this account is not allowed; ask the administrator.")
	}
	if strings.TrimSpace(sub.Body.String("confirm")) != Confirmation {
		f.UI.Nodes.AddMessage("confirm", text.New(text.ErrorValidationDeleteAccountConfirm, map[string]any{"confirmation": Confirmation}))
		return settings.ErrInvalid
	}
	if err := sub.RequirePrivileged(); err != nil {
		return err
	}
	now := m.Now()
	addr, ua := "", sub.Request.UserAgent()
	if m.ClientAddress != nil {
		addr = m.ClientAddress(sub.Request)
	}
	var notices []*store.Message
	if m.Notices != nil {
		var err error
		notices, err = m.Notices.AccountDeleted(sub.Identity, courier.Change{At: now, UserAgent: ua, IPAddress: addr})
		if err != nil {
			// A notice that cannot be made (no email channel, a broken template override) does
			// not keep a person from deleting their account; the operator learns of it here.
			m.Log.ErrorContext(ctx, "prepare account_deleted notice", "identity_id", sub.Identity.ID, "error", err)
			notices = nil
		}
	}
	// The trail's event goes in the deletion's transaction: it outlives the identity (the
	// events table has no foreign key to it) until audit retention removes it.
	ev := audit.New(audit.IdentityDeleted, sub.Identity.ID, map[string]any{"by": audit.BySelf}).WithSession(sub.Session.ID)
	err := m.Store.DeleteAccount(m.Audit.With(sub.Request, ev), sub.Identity.ID, sub.Session.ID, now, notices)
	if errors.Is(err, apierr.ErrNotFound) {
		// The session was revoked, or the identity deleted, since the request found them.
		return session.ErrNoActiveSession
	}
	if err != nil {
		return err
	}
	// The audit line: who deleted which account, from where. Never a trait or address.
	m.Log.InfoContext(ctx, "audit: identity deleted by its owner", "audit", "identity_deleted",
		"identity_id", sub.Identity.ID, "session_id", sub.Session.ID, "client_address", addr, "user_agent", ua,
		"notices", len(notices))
	return settings.ErrIdentityDeleted
}

// forbidden reports whether an admin forbade ident to delete itself: metadata_admin
// {"delete_account_disabled": true}.
func forbidden(ident *identity.Identity) bool {
	if ident == nil || len(ident.MetadataAdmin) == 0 {
		return false
	}
	var md struct {
		Disabled bool `json:"delete_account_disabled"`
	}
	return json.Unmarshal(ident.MetadataAdmin, &md) == nil && md.Disabled
}
