package webauthn

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	lib "github.com/go-webauthn/webauthn/webauthn"

	"github.com/portico-auth/portico/internal/text"
)

// ceremonyTimeout is how long the browser may take; the flow's own lifespan bounds it as well.
const ceremonyTimeout = 5 * time.Minute

// RPOptions describe the relying party (the server fills them from
// selfservice.methods.<m>.config.rp).
type RPOptions struct {
	// ID is the relying party's id, a registrable domain of the origins.
	ID          string
	DisplayName string
	// Origins are the origins a browser answer may come from.
	Origins []string
}

// NewRelyingParty builds the library's relying party.
func NewRelyingParty(rp RPOptions) (*lib.WebAuthn, error) {
	w, err := lib.New(&lib.Config{
		RPID:                  rp.ID,
		RPDisplayName:         rp.DisplayName,
		RPOrigins:             rp.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: lib.TimeoutsConfig{
			Login:        lib.TimeoutConfig{Enforce: true, Timeout: ceremonyTimeout, TimeoutUVD: ceremonyTimeout},
			Registration: lib.TimeoutConfig{Enforce: true, Timeout: ceremonyTimeout, TimeoutUVD: ceremonyTimeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn relying party %q: %w", rp.ID, err)
	}
	return w, nil
}

// RawField returns a submitted browser answer as JSON bytes: form fields carry it as a JSON
// string, JSON bodies as a string or as the object itself.
func RawField(body map[string]any, name string) []byte {
	switch v := body[name].(type) {
	case nil:
		return nil
	case string:
		return []byte(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		return b
	}
}

// FailureMessage is the 4000001 message for an answer the relying party refused (wrong
// origin, challenge, signature, …); the library's short description is the reason, never
// its debug information.
func FailureMessage(err error) text.Message {
	reason := "The WebAuthn response could not be verified."
	var pe *protocol.Error
	switch {
	case errors.Is(err, ErrNoCeremony):
		reason = "The WebAuthn challenge of this flow has expired or was already used. Please start again."
	case errors.As(err, &pe) && pe.Details != "":
		reason = "The WebAuthn response could not be verified: " + pe.Details
	}
	return text.NewGeneric(reason)
}

// OptionsJSON encodes creation or request options for the trigger node.
func OptionsJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode webauthn options: %w", err)
	}
	return string(b), nil
}
