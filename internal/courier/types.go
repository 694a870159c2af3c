package courier

import (
	"encoding/json"
	"fmt"
	"strings"
)

// TemplateType names a message template, as Kratos does (the message's template_type).
type TemplateType string

// Kratos's template types, and Portico's credential_changed and account_deleted notices.
const (
	RecoveryInvalid         TemplateType = "recovery_invalid"
	RecoveryValid           TemplateType = "recovery_valid"
	RecoveryCodeInvalid     TemplateType = "recovery_code_invalid"
	RecoveryCodeValid       TemplateType = "recovery_code_valid"
	VerificationInvalid     TemplateType = "verification_invalid"
	VerificationValid       TemplateType = "verification_valid"
	VerificationCodeInvalid TemplateType = "verification_code_invalid"
	VerificationCodeValid   TemplateType = "verification_code_valid"
	LoginCodeValid          TemplateType = "login_code_valid"
	RegistrationCodeValid   TemplateType = "registration_code_valid"
	// CredentialChanged tells an identity's verified addresses that a credential changed.
	CredentialChanged TemplateType = "credential_changed"
	// AccountDeleted tells an identity's verified addresses that it deleted itself.
	AccountDeleted TemplateType = "account_deleted"
)

// TemplateTypes lists every template type in a stable order.
var TemplateTypes = []TemplateType{
	RecoveryInvalid, RecoveryValid, RecoveryCodeInvalid, RecoveryCodeValid,
	VerificationInvalid, VerificationValid, VerificationCodeInvalid, VerificationCodeValid,
	LoginCodeValid, RegistrationCodeValid, CredentialChanged, AccountDeleted,
}

// group and variant split a type into the configuration's key and directory names:
// "recovery_code_valid" is courier.templates.recovery_code.valid and the override directory
// recovery_code/valid. credential_changed and account_deleted have only a valid variant.
func (t TemplateType) split() (group, variant string) {
	s := string(t)
	for _, v := range []string{"invalid", "valid"} {
		if g, ok := strings.CutSuffix(s, "_"+v); ok {
			return g, v
		}
	}
	return s, "valid"
}

// Valid reports whether t is a known template type.
func (t TemplateType) Valid() bool {
	for _, k := range TemplateTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Channels a message goes through.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// messageType is Kratos's courierMessageType of a channel: "email" or "phone".
func messageType(channel string) string {
	if channel == ChannelEmail {
		return "email"
	}
	return "phone"
}

// TemplateData is what a template sees, under Kratos's names ({{ .To }}, {{ .RecoveryCode }},
// {{ .Identity.traits.email }}; ctx.TemplateData.To in a Jsonnet body). Each template type uses
// the fields Kratos gives it; fields left empty are not sent to templates.
type TemplateData struct {
	// To is the recipient (set from Request.To when empty).
	To string
	// Recovery: RecoveryURL (link method) or RecoveryCode (code method).
	RecoveryURL  string `json:",omitempty"`
	RecoveryCode string `json:",omitempty"`
	// Verification: VerificationURL (link, and the code method's link) and VerificationCode.
	VerificationURL  string `json:",omitempty"`
	VerificationCode string `json:",omitempty"`
	// One-time-code sign-in and sign-up.
	LoginCode        string `json:",omitempty"`
	RegistrationCode string `json:",omitempty"`
	// Identity is the identity as the admin API shows it, without credentials (see
	// IdentityData); Traits are the traits of an identity not created yet (registration).
	Identity map[string]any `json:",omitempty"`
	Traits   map[string]any `json:",omitempty"`
	// RequestURL is the URL of the flow that sent the message.
	RequestURL       string         `json:",omitempty"`
	TransientPayload map[string]any `json:",omitempty"`
	ExpiresInMinutes int            `json:",omitempty"`

	// credential_changed: Change is what changed (a Change value), ChangedAt when (RFC 3339,
	// UTC), UserAgent and IPAddress the device that changed it. Never the secret.
	// account_deleted has ChangedAt, UserAgent and IPAddress of the deletion.
	Change    string `json:",omitempty"`
	ChangedAt string `json:",omitempty"`
	UserAgent string `json:",omitempty"`
	IPAddress string `json:",omitempty"`
}

// IdentityData turns a value that marshals to an identity's public JSON (the admin view,
// without credentials) into TemplateData.Identity.
func IdentityData(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("courier: identity template data: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("courier: identity template data: %w", err)
	}
	delete(m, "credentials")
	return m, nil
}

// Request is a message to enqueue.
type Request struct {
	Template TemplateType
	// To is the recipient: an email address, or a phone number for ChannelSMS.
	To string
	// Channel is ChannelEmail ("" means email) or ChannelSMS, or another configured
	// courier.channels id.
	Channel string
	Data    TemplateData
}

// Content is a rendered message and the data it was rendered from, as sealed in the queue.
type Content struct {
	Subject string `json:"subject,omitempty"`
	// Body is the plain-text body (an email's text part, or an SMS).
	Body string `json:"body"`
	// HTMLBody is an email's HTML part.
	HTMLBody     string          `json:"html_body,omitempty"`
	TemplateData json.RawMessage `json:"template_data"`
}
