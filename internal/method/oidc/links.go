package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/seal"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// Safe account linking. A provider account that belongs to no identity, whose address the
// provider vouches for (email_verified) and an existing identity holds, is not signed up
// (the address is taken) and never linked on the address alone: the login flow asks the
// person to sign in to that identity with one of its own methods, and links the account
// once they have. Until then the account waits, sealed, in a record of its own bound to the
// login flow (its id is derived from the flow's) and to the browser that brought it (an HMAC
// of its CSRF cookie; an API flow is bound by its id alone, as API flows are); the first
// sign-in of that identity on that flow takes it, once.

// LinkKind is the store kind of pending account links.
const LinkKind = "oidc_link"

const sealPurposeLink = "portico oidc pending link"

var linkNamespace = uuid.MustParse("0b6f3c52-81a4-4c1e-9d2b-2f0d6e8a7c41")

// pendingLink is a provider account waiting to be linked to Identity when it signs in on
// flow FlowID.
type pendingLink struct {
	FlowID   uuid.UUID `json:"flow_id"`
	Identity uuid.UUID `json:"identity_id"`
	Browser  []byte    `json:"browser,omitempty"`

	account LinkedProvider
}

// Links keeps pending account links in the flows table (login.PendingLinks).
type Links struct {
	Flows  store.Flows
	Sealer *seal.Sealer
	CSRF   *flow.CSRF
	// Manager stores the identity the account is linked to.
	Manager    Manager
	Identities Identities
	Now        func() time.Time
}

var _ login.PendingLinks = (*Links)(nil)

func linkRecordID(flowID uuid.UUID) uuid.UUID { return uuid.NewSHA1(linkNamespace, flowID[:]) }

// browser is the binding of request r to flow f's pending link: an HMAC of its CSRF cookie
// for a browser flow, nil for an API flow. ok is false for a browser without a CSRF cookie.
func (l *Links) browser(r *http.Request, f *login.Flow) (b []byte, ok bool) {
	if f.Type == flow.TypeAPI {
		return nil, true
	}
	return l.CSRF.Bind(r, LinkKind+"\x00"+f.ID.String())
}

// put keeps account, to be linked to identity target once it signs in on flow f, replacing
// what f waited for before.
func (l *Links) put(ctx context.Context, r *http.Request, f *login.Flow, target uuid.UUID, account LinkedProvider) error {
	b, ok := l.browser(r, f)
	if !ok {
		return flow.ErrCSRF
	}
	id := linkRecordID(f.ID)
	plain, err := json.Marshal(account)
	if err != nil {
		return err
	}
	sealed, err := l.Sealer.Seal(plain, id[:])
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	data, err := json.Marshal(pendingLink{FlowID: f.ID, Identity: target, Browser: b})
	if err != nil {
		return err
	}
	if err := l.Flows.DeleteFlow(ctx, LinkKind, id); err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return err
	}
	err = l.Flows.CreateFlow(ctx, &store.FlowRecord{ID: id, Kind: LinkKind, ExpiresAt: f.ExpiresAt, Data: data, Private: []byte(sealed)})
	if errors.Is(err, apierr.ErrConflict) {
		// Another callback of the same flow put its account at the same moment: the person
		// sees the message either way, and the account that stays is the one linked.
		return nil
	}
	return err
}

// get is the link pending on flow f for request r, or nil: none, expired, or started by
// another browser.
func (l *Links) get(ctx context.Context, r *http.Request, f *login.Flow) (*pendingLink, *store.FlowRecord, error) {
	rec, err := l.Flows.GetFlow(ctx, LinkKind, linkRecordID(f.ID))
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	p := &pendingLink{}
	if err := json.Unmarshal(rec.Data, p); err != nil {
		return nil, nil, fmt.Errorf("decode pending oidc link: %w", err)
	}
	if p.FlowID != f.ID || !l.Now().Before(rec.ExpiresAt) {
		return nil, nil, nil
	}
	b, ok := l.browser(r, f)
	if !ok || subtle.ConstantTimeCompare(p.Browser, b) != 1 {
		return nil, nil, nil
	}
	return p, rec, nil
}

// Target implements login.PendingLinks.
func (l *Links) Target(ctx context.Context, r *http.Request, f *login.Flow) (*uuid.UUID, error) {
	p, _, err := l.get(ctx, r, f)
	if p == nil || err != nil {
		return nil, err
	}
	return &p.Identity, nil
}

// Complete implements login.PendingLinks: the pending account is taken (deleted: of two
// completions one gets it) and added to ident's oidc credential. An account linked to another
// identity in the meantime is 4000027.
func (l *Links) Complete(ctx context.Context, r *http.Request, f *login.Flow, ident *identity.Identity) error {
	p, rec, err := l.get(ctx, r, f)
	if p == nil || err != nil || p.Identity != ident.ID {
		return err
	}
	if err := l.Flows.DeleteFlow(ctx, LinkKind, rec.ID); errors.Is(err, apierr.ErrNotFound) {
		return nil // a concurrent sign-in on the same flow took it
	} else if err != nil {
		return err
	}
	plain, err := l.Sealer.Open(string(rec.Private), rec.ID[:])
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	if err := json.Unmarshal(plain, &p.account); err != nil {
		return fmt.Errorf("decode pending oidc link: %w", err)
	}
	fresh, err := l.Identities.GetIdentity(ctx, ident.ID, true)
	if err != nil {
		return err
	}
	if err := addAccount(fresh, p.account, l.Now().UTC()); err != nil {
		return err
	}
	err = l.Manager.Update(ctx, fresh)
	if errors.Is(err, apierr.ErrConflict) {
		return flow.NewFormError(text.New(text.ErrorValidationDuplicateCredentialsOnOIDCLink, nil))
	}
	return err
}

// linkRequired is signInOrUp's answer for a provider account that may be linked to Target,
// the existing identity holding Address, which the provider vouches for.
type linkRequired struct {
	Target  *identity.Identity
	Address string
	Account LinkedProvider
	Label   string
}

func (e *linkRequired) Error() string {
	return "oidc: the account's address belongs to an existing identity"
}

// message is the login flow's message for e (1010016).
func (e *linkRequired) message() text.Message {
	return text.New(text.InfoLoginLink, map[string]any{"provider": e.Label, "duplicateIdentifier": e.Address})
}

// verifiedOwner is the existing identity holding the address provider account c vouches for
// (email_verified), or nil: an unverified address is never a reason to link.
func (s *Strategy) verifiedOwner(ctx context.Context, c *Claims) (*identity.Identity, string, error) {
	if !c.EmailVerified || c.Email == "" {
		return nil, "", nil
	}
	addr := identity.NormalizeIdentifier(c.Email)
	found, err := s.Identities.FindByVerifiableAddress(ctx, "email", addr)
	if errors.Is(err, apierr.ErrNotFound) {
		found, err = s.Identities.FindByCredentialsIdentifier(ctx, identity.CredentialsPassword, addr)
	}
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return found, addr, nil
}

// askToLink turns login flow f into a flow waiting for e.Target to sign in: its nodes are
// that identity's ways to sign in, its message 1010016, and the account waits in a pending
// link. The returned form error shows the flow (the caller stores it).
func (s *Strategy) askToLink(ctx context.Context, r *http.Request, f *login.Flow, e *linkRequired) (*flow.FormError, error) {
	target, err := s.Identities.GetIdentity(ctx, e.Target.ID, true)
	if err != nil {
		return nil, err
	}
	if err := s.Links.put(ctx, r, f, target.ID, e.Account); err != nil {
		return nil, err
	}
	if err := s.Login.Reoffer(ctx, f, target); err != nil {
		return nil, err
	}
	return flow.NewFormError(e.message()), nil
}
