package text

import (
	"encoding/json"
	"testing"
	"time"
)

func TestMessages(t *testing.T) {
	at := time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		got  Message
		id   int
		typ  string
		text string
	}{
		{"sign in", NewLogin(), 1010001, Info, "Sign in"},
		{"sign in with password", NewLoginPassword(), 1010022, Info, "Sign in with password"},
		{"reauth", NewLoginReAuth(), 1010003, Info, "Please confirm this action by verifying that it is you."},
		{"sign up", NewRegistration(), 1040001, Info, "Sign up"},
		{"saved", NewSettingsSaved(), 1050001, Success, "Your changes have been saved!"},
		{"qr", New(InfoSettingsTOTPQRCode, nil), 1050005, Info, "Authenticator app QR code"},
		{"secret", NewTOTPSecret("ABC"), 1050006, Info, "ABC"},
		{"regenerate", New(InfoSettingsRegenerateLookup, nil), 1050008, Info, "Generate new backup recovery codes"},
		{"totp label", New(InfoSettingsTOTPSecretLabel, nil), 1050017, Info, "This is your authenticator app secret. Use it if you can not scan the QR code."},
		{"password", NewLabelPassword(), 1070001, Info, "Password"},
		{"field", NewLabelField("traits.email", "E-Mail"), 1070002, Info, "E-Mail"},
		{"field no title", NewLabelField("traits.x", ""), 1070002, Info, "traits.x"},
		{"save", NewLabelSave(), 1070003, Info, "Save"},
		{"verify", NewLabelVerifyCode(), 1070006, Info, "Verify code"},
		{"generic", NewGeneric("boom"), 4000001, Error, "boom"},
		{"required", NewRequired("password"), 4000002, Error, "Property password is missing."},
		{"credentials", NewInvalidCredentials(), 4000006, Error, "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number."},
		{"duplicate", NewDuplicateCredentials(), 4000007, Error, "An account with the same identifier (email, phone, username, ...) exists already."},
		{"totp wrong", NewTOTPWrong(), 4000008, Error, "The provided authentication code is invalid, please try again."},
		{"similar", NewPasswordTooSimilar(), 4000031, Error, "The password can not be used because it is too similar to the identifier."},
		{"short", NewPasswordMinLength(8, 3), 4000032, Error, "The password must be at least 8 characters long, but got 3."},
		{"long", NewPasswordMaxLength(72, 80), 4000033, Error, "The password must be at most 72 characters long, but got 80."},
		{"same", NewPasswordSameAsOld(), 4000039, Error, "The new password must be different from the old password."},
		{"email", NewInvalidEmail("x"), 4000040, Error, "\"x\" is not a valid email address."},
		{"login expired", NewLoginFlowExpired(at, at.Add(90*time.Second)), 4010001, Error, "The login flow expired 1.50 minutes ago, please try again."},
		{"registration expired", NewRegistrationFlowExpired(at, at), 4040001, Error, "The registration flow expired 0.00 minutes ago, please try again."},
		{"settings expired", NewSettingsFlowExpired(at, at.Add(time.Minute)), 4050001, Error, "The settings flow expired 1.00 minutes ago, please try again."},
		{"unknown id", New(4999999, map[string]any{"reason": "r"}), 4999999, Error, "r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.ID != tt.id || tt.got.Type != tt.typ || tt.got.Text != tt.text {
				t.Errorf("got %+v, want %d %s %q", tt.got, tt.id, tt.typ, tt.text)
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	tests := []struct {
		m    Message
		want string
	}{
		{NewLabelPassword(), `{"id":1070001,"text":"Password","type":"info"}`},
		{NewLabelField("traits.email", "E-Mail"), `{"id":1070002,"text":"E-Mail","type":"info","context":{"name":"traits.email","title":"E-Mail"}}`},
		{NewTOTPSecret("S"), `{"id":1050006,"text":"S","type":"info","context":{"secret":"S"}}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.m)
		if err != nil || string(b) != tt.want {
			t.Errorf("got %s %v, want %s", b, err, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	tests := []struct{ tpl, want string }{
		{"plain", "plain"},
		{"a {x} b", "a 1 b"},
		{"{missing}", "{missing}"},
		{"open { only", "open { only"},
		{"{x}{x}", "11"},
	}
	for _, tt := range tests {
		if got := Render(tt.tpl, map[string]any{"x": 1}); got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.tpl, got, tt.want)
		}
	}
}

func TestCatalogueComplete(t *testing.T) {
	for _, id := range IDs() {
		e, _ := Lookup(id)
		if e.Template == "" || (e.Type != Info && e.Type != Error && e.Type != Success) {
			t.Errorf("%d: bad entry %+v", id, e)
		}
		if id >= 4000000 && e.Type != Error {
			t.Errorf("%d: 4xxxxxx must be an error", id)
		}
	}
}
