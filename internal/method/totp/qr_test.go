package totp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pquerna/otp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/totp"
)

// scanQR decodes a totp_qr node's image the way an authenticator app does (finding the code
// in the picture) and returns the otpauth key it holds. It checks the node's shape as Kratos
// sends it: a 256×256 image given as a PNG data URI.
func scanQR(t *testing.T, f map[string]any) *otp.Key {
	t.Helper()
	n := mfatest.Node(f, "totp", "totp_qr")
	if n == nil {
		t.Fatalf("no totp_qr node: %v", mfatest.Names(f))
	}
	attrs, _ := n["attributes"].(map[string]any)
	if attrs["node_type"] != "img" || attrs["width"] != float64(256) || attrs["height"] != float64(256) {
		t.Fatalf("totp_qr attributes %v", attrs)
	}
	src, _ := attrs["src"].(string)
	raw, ok := strings.CutPrefix(src, "data:image/png;base64,")
	if !ok {
		t.Fatalf("totp_qr src %.40q", src)
	}
	data, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatalf("totp_qr base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("totp_qr png: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 256 || b.Dx() != b.Dy() {
		t.Fatalf("totp_qr image %v, want at least 256 square", b)
	}
	text, err := totp.ScanQR(img)
	if err != nil {
		t.Fatalf("totp_qr does not scan: %v", err)
	}
	k, err := otp.NewKeyFromURL(text)
	if err != nil {
		t.Fatalf("totp_qr holds %q: %v", text, err)
	}
	if k.Type() != "totp" {
		t.Fatalf("totp_qr holds a %s key", k.Type())
	}
	return k
}

// labelSchema is the default schema plus a "label" trait without a length limit that names
// the TOTP account.
const labelSchema = `{
  "$id": "https://portico.invalid/schemas/label.schema.json",
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "traits": {
      "type": "object",
      "properties": {
        "email": {
          "type": "string", "format": "email", "maxLength": 320,
          "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}
        },
        "label": {
          "type": "string",
          "ory.sh/kratos": {"credentials": {"totp": {"account_name": true}}}
        }
      },
      "required": ["email"],
      "additionalProperties": false
    }
  }
}`

// TestQRCodeScansToTheFlowsKey reads the QR code of settings flows for tricky issuers and
// account names, as made at creation, as served on a read of the flow, and as drawn again
// after a submission: each must scan to the otpauth URI of the flow's own secret, issuer
// and account. An account name too long for a QR code is shortened, never a failed flow
// (it was a 500 before: the encoder refused the URL).
func TestQRCodeScansToTheFlowsKey(t *testing.T) {
	dir := t.TempDir()
	schemaPath := filepath.Join(dir, "label.schema.json")
	if err := os.WriteFile(schemaPath, []byte(labelSchema), 0o600); err != nil {
		t.Fatal(err)
	}
	schemaConfig := "identity:\n  default_schema_id: label\n  schemas:\n    - id: label\n      url: file://" + schemaPath + "\n"
	for _, c := range []struct {
		name, issuer, label string
		// prefix: the account is the label cut short (it cannot fit a QR code whole)
		prefix bool
	}{
		{name: "plain", issuer: "Portico Test", label: "ada@example.com"},
		{name: "unicode issuer", issuer: "Pörtico – 認証 ✓", label: "ada@example.com"},
		{name: "unicode account", issuer: "Portico", label: "Ада Лавлейс 🔐 名前"},
		{name: "reserved characters", issuer: "A/B C?#%", label: "a+b%20c:d&e=f#g?h/i"},
		{name: "long account", issuer: "Portico", label: strings.Repeat("long-account-name.", 60)},
		{name: "longer than a QR code holds", issuer: "Portico", label: strings.Repeat("ü", 3000), prefix: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, apptest.WithConfig(schemaConfig), apptest.WithEnv("SELFSERVICE_METHODS_TOTP_CONFIG_ISSUER", c.issuer))
			traits, _ := json.Marshal(map[string]string{"email": "qr@example.com", "label": c.label})
			ident := &identity.Identity{Traits: traits}
			if err := s.App.Identities.Create(context.Background(), ident, identity.CreateOptions{Password: password}); err != nil {
				t.Fatal(err)
			}
			for _, kind := range []string{"native", "browser"} {
				p := mfatest.SignIn(t, s, kind, ident)
				res, f := p.StartSettings()
				if f == nil {
					t.Fatalf("%s: no settings flow: %d %s", kind, res.StatusCode, res.Body)
				}
				secret := secretOf(t, f)
				check := func(when string, f map[string]any) {
					t.Helper()
					k := scanQR(t, f)
					if k.Secret() != secret || k.Issuer() != c.issuer {
						t.Fatalf("%s %s: QR holds secret %q issuer %q, flow shows %q, issuer %q", kind, when, k.Secret(), k.Issuer(), secret, c.issuer)
					}
					if c.prefix {
						if k.AccountName() == "" || !strings.HasPrefix(c.label, k.AccountName()) {
							t.Fatalf("%s %s: account %.40q is not a start of the label", kind, when, k.AccountName())
						}
					} else if k.AccountName() != c.label {
						t.Fatalf("%s %s: account %q, want %q", kind, when, k.AccountName(), c.label)
					}
				}
				check("created", f)
				check("read", p.Flow("settings", mfatest.Str(f, "id")))
				// A wrong code is refused and the flow is drawn again with the same key.
				res, again := p.Submit("settings", f, map[string]any{"method": "totp", "totp_code": "000000"})
				if again == nil || res.StatusCode >= http.StatusInternalServerError {
					t.Fatalf("%s: wrong code: %d %s", kind, res.StatusCode, res.Body)
				}
				if kind == "native" && res.StatusCode != http.StatusBadRequest {
					t.Fatalf("%s: wrong code: %d, want 400", kind, res.StatusCode)
				}
				check("after a refused code", again)
			}
		})
	}
}
