package text

import (
	"fmt"
	"time"
)

// Constructors for the messages whose context needs arguments or formatting. Messages without
// context are built with New(id, nil), or the shortcuts below.

// NewLogin is "Sign in".
func NewLogin() Message { return New(InfoLogin, nil) }

// NewLoginPassword is the password method's submit label on a login flow.
func NewLoginPassword() Message { return New(InfoLoginPassword, nil) }

// NewLoginReAuth asks a signed-in user to confirm it is them (refresh login).
func NewLoginReAuth() Message { return New(InfoLoginReAuth, nil) }

// NewLoginMFA asks for the second factor (aal2 login).
func NewLoginMFA() Message { return New(InfoLoginMFA, nil) }

// NewRegistration is "Sign up".
func NewRegistration() Message { return New(InfoRegistration, nil) }

// NewSettingsSaved is the success message of a completed settings flow.
func NewSettingsSaved() Message { return New(InfoSettingsUpdateSuccess, nil) }

// NewTOTPSecret shows the TOTP secret as text (node text of totp_secret_key).
func NewTOTPSecret(secret string) Message {
	return New(InfoSettingsTOTPSecret, map[string]any{"secret": secret})
}

// NewLabelPassword is the label of a password input.
func NewLabelPassword() Message { return New(InfoNodeLabelPassword, nil) }

// NewLabelCurrentPassword is the label of the settings flow's current_password input.
func NewLabelCurrentPassword() Message { return New(InfoNodeLabelCurrentPassword, nil) }

// NewCurrentPasswordWrong refuses a settings password change whose current password is wrong.
func NewCurrentPasswordWrong() Message { return New(ErrorValidationCurrentPasswordWrong, nil) }

// NewLabelSave is the label of a settings submit button.
func NewLabelSave() Message { return New(InfoNodeLabelSave, nil) }

// NewLabelVerifyCode is the label of a one-time-code input.
func NewLabelVerifyCode() Message { return New(InfoNodeLabelVerifyOTP, nil) }

// NewLabelField labels an input generated from the identity schema: the text is the schema
// title (or the field name when the schema has none).
func NewLabelField(name, title string) Message {
	if title == "" {
		title = name
	}
	return New(InfoNodeLabelGenerated, map[string]any{"name": name, "title": title})
}

// NewGeneric is a free-form validation error (4000001) carrying reason.
func NewGeneric(reason string) Message {
	return New(ErrorValidationGeneric, map[string]any{"reason": reason})
}

// NewRequired reports a missing property.
func NewRequired(property string) Message {
	return New(ErrorValidationRequired, map[string]any{"property": property})
}

// NewInvalidCredentials is the one message for a wrong identifier or password.
func NewInvalidCredentials() Message { return New(ErrorValidationInvalidCredentials, nil) }

// NewDuplicateCredentials reports an identifier already in use.
func NewDuplicateCredentials() Message { return New(ErrorValidationDuplicateCredentials, nil) }

// NewTOTPWrong reports a wrong authentication code.
func NewTOTPWrong() Message { return New(ErrorValidationTOTPVerifierWrong, nil) }

// NewPasswordTooSimilar reports a password too close to the identifier.
func NewPasswordTooSimilar() Message { return New(ErrorValidationPasswordIdentifierTooSimilar, nil) }

// NewPasswordMinLength reports a password shorter than minLength.
func NewPasswordMinLength(minLength, actual int) Message {
	return New(ErrorValidationPasswordMinLength, map[string]any{"min_length": minLength, "actual_length": actual})
}

// NewPasswordMaxLength reports a password longer than maxLength.
func NewPasswordMaxLength(maxLength, actual int) Message {
	return New(ErrorValidationPasswordMaxLength, map[string]any{"max_length": maxLength, "actual_length": actual})
}

// NewPasswordBreached reports a password found in breach lists.
func NewPasswordBreached() Message { return New(ErrorValidationPasswordTooManyBreaches, nil) }

// NewPasswordSameAsOld reports a new password equal to the current one.
func NewPasswordSameAsOld() Message { return New(ErrorValidationPasswordNewSameAsOld, nil) }

// NewInvalidEmail reports a value that is not an email address.
func NewInvalidEmail(value string) Message {
	return New(ErrorValidationInvalidEmail, map[string]any{"value": value})
}

// expired builds a "flow expired N minutes ago" message; the context carries the time of expiry
// as RFC 3339 and Unix seconds, as Kratos's does.
func expired(id int, expiredAt, now time.Time) Message {
	since := now.Sub(expiredAt).Minutes()
	if since < 0 {
		since = 0
	}
	return New(id, map[string]any{
		"expired_at":                    expiredAt.UTC().Format(time.RFC3339Nano),
		"expired_at_unix":               expiredAt.Unix(),
		"expired_at_unix_since_minutes": fmt.Sprintf("%.2f", since),
	})
}

// NewLoginFlowExpired is the message on the fresh login flow replacing an expired one.
func NewLoginFlowExpired(expiredAt, now time.Time) Message {
	return expired(ErrorValidationLoginFlowExpired, expiredAt, now)
}

// NewRegistrationFlowExpired is the message on the fresh registration flow replacing an expired one.
func NewRegistrationFlowExpired(expiredAt, now time.Time) Message {
	return expired(ErrorValidationRegistrationFlowExpired, expiredAt, now)
}

// NewSettingsFlowExpired is the message on the fresh settings flow replacing an expired one.
func NewSettingsFlowExpired(expiredAt, now time.Time) Message {
	return expired(ErrorValidationSettingsFlowExpired, expiredAt, now)
}

// NewVerificationFlowExpired is the message on the fresh verification flow replacing an
// expired one.
func NewVerificationFlowExpired(expiredAt, now time.Time) Message {
	return expired(ErrorValidationVerificationFlowExpired, expiredAt, now)
}

// NewRecoveryFlowExpired is the message on the fresh recovery flow replacing an expired one.
func NewRecoveryFlowExpired(expiredAt, now time.Time) Message {
	return expired(ErrorValidationRecoveryFlowExpired, expiredAt, now)
}

// NewCodeSubmittedTooOften is Kratos's answer to the sixth wrong code of a flow: a generic
// validation error (4000001) on a fresh flow.
func NewCodeSubmittedTooOften() Message {
	return NewGeneric("The request was submitted too often. Please request another code.")
}

// NewRecoverySuccessful is the message of the settings flow a recovery leads to; until is when
// the privileged session ends.
func NewRecoverySuccessful(until, now time.Time) Message {
	return New(InfoRecoverySuccessful, map[string]any{
		"privileged_session_expires_at":                    until.UTC().Format(time.RFC3339Nano),
		"privileged_session_expires_at_unix_until_minutes": fmt.Sprintf("%.2f", until.Sub(now).Minutes()),
	})
}
