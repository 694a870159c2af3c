package webauthn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lib "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

// CeremonyKind is the store kind of the records holding WebAuthn ceremony data.
const CeremonyKind = "webauthn_ceremony"

// Purposes of a ceremony: which method and flow showed the challenge.
const (
	PurposeWebAuthnSettings = "webauthn.settings"
	PurposeWebAuthnLogin    = "webauthn.login"
	PurposePasskeySettings  = "passkey.settings"
	PurposePasskeyLogin     = "passkey.login"
)

// ErrNoCeremony is a submission whose challenge was never shown, has expired or was used.
var ErrNoCeremony = errors.New("webauthn: no pending challenge for this flow")

// Ceremonies keeps the library's session data (above all the challenge) server-side from the
// moment a flow shows WebAuthn options until the browser's answer is submitted. A record
// belongs to one flow and purpose (its id is derived from both), expires with the flow and
// can be used once: a replayed answer finds it used.
type Ceremonies struct {
	Flows store.Flows
}

type ceremony struct {
	Session lib.SessionData `json:"session"`
}

// recordID derives the record id from the flow id and purpose, so a flow needs no extra field.
func recordID(flowID uuid.UUID, purpose string) uuid.UUID {
	return uuid.NewSHA1(flowID, []byte(purpose))
}

// Save stores sd as the pending ceremony of the flow, replacing an earlier one.
func (c *Ceremonies) Save(ctx context.Context, flowID uuid.UUID, purpose string, sd *lib.SessionData, expires time.Time) error {
	data, err := json.Marshal(ceremony{Session: *sd})
	if err != nil {
		return fmt.Errorf("encode webauthn ceremony: %w", err)
	}
	rec := &store.FlowRecord{ID: recordID(flowID, purpose), Kind: CeremonyKind, ExpiresAt: expires, Data: data}
	err = c.Flows.UpdateFlow(ctx, rec)
	if errors.Is(err, apierr.ErrNotFound) {
		err = c.Flows.CreateFlow(ctx, rec)
	}
	if err != nil {
		return fmt.Errorf("store webauthn ceremony: %w", err)
	}
	return nil
}

// Load returns the flow's pending, unexpired ceremony (a used one is deleted), or ErrNoCeremony.
func (c *Ceremonies) Load(ctx context.Context, flowID uuid.UUID, purpose string, now time.Time) (*lib.SessionData, error) {
	rec, err := c.Flows.GetFlow(ctx, CeremonyKind, recordID(flowID, purpose))
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, ErrNoCeremony
	}
	if err != nil {
		return nil, fmt.Errorf("load webauthn ceremony: %w", err)
	}
	var cer ceremony
	if err := json.Unmarshal(rec.Data, &cer); err != nil {
		return nil, fmt.Errorf("decode webauthn ceremony: %w", err)
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, ErrNoCeremony
	}
	return &cer.Session, nil
}

// Consume deletes the flow's ceremony so its challenge is never accepted again. The delete is
// atomic: of two submissions racing with the same answer only one consumes it; the other gets
// ErrNoCeremony.
func (c *Ceremonies) Consume(ctx context.Context, flowID uuid.UUID, purpose string) error {
	err := c.Flows.DeleteFlow(ctx, CeremonyKind, recordID(flowID, purpose))
	if errors.Is(err, apierr.ErrNotFound) {
		return ErrNoCeremony
	}
	if err != nil {
		return fmt.Errorf("consume webauthn ceremony: %w", err)
	}
	return nil
}
