package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// idPlaceholder stands for the flow id in the template; it has a UUID's length so that every
// flow's document has the same size.
const idPlaceholder = "00000000-0000-4000-8000-00000000f10w"

// template is a settings flow document as Portico stores it: the reply Kratos would send
// (identity, UI nodes for profile, password, TOTP enrolment with its QR code, lookup secrets
// and WebAuthn) plus a private field, built once. Flows differ by id only.
type template struct {
	data []byte
}

func newTemplate(identityID uuid.UUID, public string, now time.Time) (*template, error) {
	// A small TOTP QR code PNG; random bytes stand in for it (they do not compress
	// either, and SQLite does not compress at all).
	png := make([]byte, 300)
	_, _ = rand.Read(png)
	csrf := make([]byte, 64)
	_, _ = rand.Read(csrf)
	sealed := make([]byte, 180)
	_, _ = rand.Read(sealed)

	label := func(id int, text string) map[string]any {
		return map[string]any{"id": id, "text": text, "type": "info"}
	}
	input := func(group, name, typ string, value any, required bool, meta map[string]any) map[string]any {
		attrs := map[string]any{"name": name, "type": typ, "disabled": false, "node_type": "input"}
		if value != nil {
			attrs["value"] = value
		}
		if required {
			attrs["required"] = true
		}
		if meta == nil {
			meta = map[string]any{}
		}
		return map[string]any{"type": "input", "group": group, "attributes": attrs, "messages": []any{}, "meta": meta}
	}
	withLabel := func(id int, text string) map[string]any { return map[string]any{"label": label(id, text)} }
	ts := now.UTC().Format(time.RFC3339Nano)
	doc := map[string]any{
		"id":          idPlaceholder,
		"type":        "browser",
		"expires_at":  ts,
		"issued_at":   ts,
		"request_url": public + "/self-service/settings/browser?return_to=" + public + "/welcome",
		"return_to":   public + "/welcome",
		"ui": map[string]any{
			"action": public + "/self-service/settings?flow=" + idPlaceholder,
			"method": "POST",
			"nodes": []any{
				input("default", "csrf_token", "hidden", base64.StdEncoding.EncodeToString(csrf), true, nil),
				input("profile", "traits.email", "email", "ada.lovelace@example.com", true, withLabel(1070002, "E-Mail")),
				input("profile", "traits.name.first", "text", "Ada", false, withLabel(1070002, "First name")),
				input("profile", "traits.name.last", "text", "Lovelace", false, withLabel(1070002, "Last name")),
				input("profile", "method", "submit", "profile", false, withLabel(1070003, "Save")),
				input("password", "password", "password", nil, true, withLabel(1070001, "Password")),
				input("password", "method", "submit", "password", false, withLabel(1070003, "Save")),
				map[string]any{"type": "img", "group": "totp", "messages": []any{},
					"attributes": map[string]any{"id": "totp_qr", "src": "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), "width": 256, "height": 256, "node_type": "img"},
					"meta":       withLabel(1050005, "Authenticator app QR code")},
				map[string]any{"type": "text", "group": "totp", "messages": []any{},
					"attributes": map[string]any{"id": "totp_secret_key", "text": map[string]any{"id": 1050006, "text": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "type": "info", "context": map[string]any{"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}}, "node_type": "text"},
					"meta":       withLabel(1050017, "This is your authenticator app secret. Use it if you can not scan the QR code.")},
				input("totp", "totp_code", "text", nil, true, withLabel(1070006, "Verify code")),
				input("totp", "method", "submit", "totp", false, withLabel(1070003, "Save")),
				input("lookup_secret", "lookup_secret_regenerate", "submit", true, false, withLabel(1050008, "Generate new backup recovery codes")),
				input("webauthn", "webauthn_register_displayname", "text", "", false, withLabel(1050013, "Name of the security key")),
				input("webauthn", "webauthn_register_trigger", "button", "", false, withLabel(1050012, "Add security key")),
				input("webauthn", "webauthn_register", "hidden", "", false, nil),
				map[string]any{"type": "script", "group": "webauthn", "messages": []any{}, "meta": map[string]any{},
					"attributes": map[string]any{"src": public + "/.well-known/ory/webauthn.js", "async": true, "referrerpolicy": "no-referrer", "crossorigin": "anonymous",
						"integrity": "sha512-" + base64.StdEncoding.EncodeToString(csrf), "type": "text/javascript", "id": "webauthn_script", "nonce": "0a1b2c3d-4e5f-6789-abcd-ef0123456789", "node_type": "script"}},
			},
		},
		"identity": map[string]any{
			"id":               identityID.String(),
			"schema_id":        "default",
			"schema_url":       public + "/schemas/ZGVmYXVsdA",
			"state":            "active",
			"state_changed_at": ts,
			"traits":           map[string]any{"email": "ada.lovelace@example.com", "name": map[string]any{"first": "Ada", "last": "Lovelace"}},
			"verifiable_addresses": []any{map[string]any{"id": uuid.NewString(), "value": "ada.lovelace@example.com", "verified": false, "via": "email",
				"status": "sent", "created_at": ts, "updated_at": ts}},
			"recovery_addresses": []any{map[string]any{"id": uuid.NewString(), "value": "ada.lovelace@example.com", "via": "email", "created_at": ts, "updated_at": ts}},
			"metadata_public":    nil,
			"created_at":         ts,
			"updated_at":         ts,
			"organization_id":    nil,
		},
		"state":           "show_form",
		"organization_id": nil,
		"portico_internal": map[string]any{
			"totp": map[string]any{"sealed_secret": base64.StdEncoding.EncodeToString(sealed)},
		},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode template: %w", err)
	}
	return &template{data: data}, nil
}

// For returns the document of flow id.
func (t *template) For(id uuid.UUID) []byte {
	return bytes.ReplaceAll(t.data, []byte(idPlaceholder), []byte(id.String()))
}

// Size is the length of every flow's document.
func (t *template) Size() int { return len(t.data) }
