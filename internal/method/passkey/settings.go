package passkey

import (
	"net/url"
	"time"

	lib "github.com/go-webauthn/webauthn/webauthn"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn"
)

// NewSettings returns the passkey method of the settings flow: passkey_register_trigger with
// creation options for a discoverable credential, passkey_settings_register (or
// passkey_register) with the browser's answer, and passkey_remove per passkey.
func NewSettings(rp *lib.WebAuthn, schemas identity.Schemas, public *url.URL, now func() time.Time) *webauthn.Settings {
	return &webauthn.Settings{
		Variant: webauthn.PasskeyVariant, RP: rp,
		Schemas: schemas, Public: public, Now: now,
	}
}
