package webauthn

import (
	"encoding/base64"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// Variant names the nodes, fields, messages and credential type of one of the two methods
// built on this package: WebAuthn (security keys) and passkeys.
type Variant struct {
	Method         string
	Type           identity.CredentialsType
	Group          flow.Group
	RegisterFields []string // the hidden input carrying the browser's answer, then accepted aliases
	TriggerNode    string
	TriggerFunc    string
	RemoveField    string
	AddLabel       int
	RemoveLabel    int
	Purpose        string
	// Passkey selects discoverable, user-verified credentials and the schema's passkey
	// display name.
	Passkey bool
}

// WebAuthnVariant is the WebAuthn (security key) method.
var WebAuthnVariant = Variant{
	Method: "webauthn", Type: identity.CredentialsWebAuthn, Group: flow.GroupWebAuthn,
	RegisterFields: []string{"webauthn_register"}, TriggerNode: "webauthn_register_trigger",
	TriggerFunc: "oryWebAuthnRegistration", RemoveField: "webauthn_remove",
	AddLabel: text.InfoSettingsAddWebAuthn, RemoveLabel: text.InfoSettingsRemoveWebAuthn,
	Purpose: PurposeWebAuthnSettings,
}

// PasskeyVariant is the passkey method. Kratos names the settings answer
// passkey_settings_register; passkey_register is accepted too.
var PasskeyVariant = Variant{
	Method: "passkey", Type: identity.CredentialsPasskey, Group: flow.GroupPasskey,
	RegisterFields: []string{"passkey_settings_register", "passkey_register"}, TriggerNode: "passkey_register_trigger",
	TriggerFunc: "oryPasskeySettingsRegistration", RemoveField: "passkey_remove",
	AddLabel: text.InfoSettingsAddPasskey, RemoveLabel: text.InfoSettingsRemovePasskey,
	Purpose: PurposePasskeySettings, Passkey: true,
}

// HandleIdentifier is the credential identifier under which a passkey's user handle is
// stored, so that a discoverable login finds the identity from the handle alone.
func HandleIdentifier(handle []byte) string {
	return base64.RawURLEncoding.EncodeToString(handle)
}
