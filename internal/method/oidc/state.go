package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/seal"
	"github.com/portico-auth/portico/internal/store"
)

// StateKind is the store kind of pending authorisation requests.
const StateKind = "oidc_state"

// sealPurpose keys the sealing of a state's secrets and of upstream tokens.
const (
	sealPurposeState  = "portico oidc state"
	sealPurposeTokens = "portico oidc upstream tokens"
)

// state is one authorisation request in flight: which flow and provider it is for, the
// browser it must come back to (Bind of its CSRF cookie) and, sealed, the PKCE verifier and
// the nonce. Its record id is derived from the state parameter, which is never stored.
type state struct {
	FlowID uuid.UUID `json:"flow_id"`
	// FlowKind is the kind of the flow (login, registration, settings).
	FlowKind string `json:"flow_kind"`
	Provider string `json:"provider"`
	Browser  []byte `json:"browser"`
	// Link is the identity a settings flow links the provider to (uuid.Nil otherwise).
	Link uuid.UUID `json:"link,omitempty"`

	secrets stateSecrets
}

type stateSecrets struct {
	Verifier string `json:"verifier"`
	Nonce    string `json:"nonce"`
}

// ErrNoState is a callback whose state was never issued, has expired or was used.
var ErrNoState = errors.New("oidc: no pending authorisation request for this state")

// States keeps pending authorisation requests in the flows table.
type States struct {
	Flows  store.Flows
	Sealer *seal.Sealer
}

var stateNamespace = uuid.MustParse("7d0c2f9e-3c1a-4f61-9a57-0c6b4f0f6b51")

func stateRecordID(param string) uuid.UUID {
	sum := sha256.Sum256([]byte(param))
	return uuid.NewSHA1(stateNamespace, sum[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("oidc: read random: %v", err)) // crypto/rand does not fail
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin stores st until expires and returns the state parameter to send to the provider.
func (s *States) Begin(ctx context.Context, st *state, expires time.Time) (string, error) {
	param := randomString(32)
	id := stateRecordID(param)
	plain, err := json.Marshal(st.secrets)
	if err != nil {
		return "", err
	}
	sealed, err := s.Sealer.Seal(plain, id[:])
	if err != nil {
		return "", apierr.ErrInternal.WithCause(err)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	rec := &store.FlowRecord{ID: id, Kind: StateKind, ExpiresAt: expires, Data: data, Private: []byte(sealed)}
	if err := s.Flows.CreateFlow(ctx, rec); err != nil {
		return "", err
	}
	return param, nil
}

// Consume finds the pending request of state parameter param, checks with browser (Bind of
// the returning browser's CSRF cookie for the request's purpose) that the browser that
// started it is back, and deletes it: of two callbacks with the same state exactly one gets
// it. A request started in another browser is not consumed (its owner can still finish it)
// and is ErrNoState like an unknown one.
func (s *States) Consume(ctx context.Context, param string, browser func(*state) []byte, now time.Time) (*state, error) {
	if param == "" || len(param) > 256 {
		return nil, ErrNoState
	}
	id := stateRecordID(param)
	rec, err := s.Flows.GetFlow(ctx, StateKind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, ErrNoState
	}
	if err != nil {
		return nil, err
	}
	st := &state{}
	if err := json.Unmarshal(rec.Data, st); err != nil {
		return nil, fmt.Errorf("decode oidc state: %w", err)
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, ErrNoState
	}
	if b := browser(st); len(b) == 0 || subtle.ConstantTimeCompare(st.Browser, b) != 1 {
		return nil, ErrNoState
	}
	if err := s.Flows.DeleteFlow(ctx, StateKind, id); errors.Is(err, apierr.ErrNotFound) {
		return nil, ErrNoState // another callback with this state got there first
	} else if err != nil {
		return nil, err
	}
	plain, err := s.Sealer.Open(string(rec.Private), id[:])
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	if err := json.Unmarshal(plain, &st.secrets); err != nil {
		return nil, fmt.Errorf("decode oidc state secrets: %w", err)
	}
	return st, nil
}
