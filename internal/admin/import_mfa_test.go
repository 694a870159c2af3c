package admin_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
)

// coseKey is a fresh ES256 public key as a COSE_Key, base64 as a config's JSON holds it.
func coseKey(t *testing.T) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := webauthntest.COSEKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// createWith is a createIdentityBody for email with credentials (JSON).
func createWith(email, credentials string) string {
	return fmt.Sprintf(`{"schema_id":"default","traits":{"email":%q},"credentials":%s}`, email, credentials)
}

func keyConfig(t string, id, pub, handle string) string {
	return fmt.Sprintf(`{%q:{"config":{"credentials":[{"id":%q,"public_key":%q}],"user_handle":%q}}}`, t, id, pub, handle)
}

// TestCreateSecondFactorRefusals: second-factor configs that do not parse or are out of bounds
// are refused with 400 in Kratos's error shape, naming the field, and nothing is created.
func TestCreateSecondFactorRefusals(t *testing.T) {
	s := apptest.Start(t)
	pub := coseKey(t)
	id := base64.StdEncoding.EncodeToString([]byte("key-1"))
	handle := base64.StdEncoding.EncodeToString([]byte("handle-1"))
	hash := strings.Repeat("ab", 32)
	many := strings.TrimSuffix(strings.Repeat(`{"hash":"`+hash+`"},`, 101), ",")
	totp := func(u string) string { return `{"totp":{"config":{"totp_url":"` + u + `"}}}` }
	lookup := func(salt, codes string) string {
		return `{"lookup_secret":{"config":{"salt":"` + salt + `","recovery_codes":[` + codes + `]}}}`
	}
	rows := []struct{ name, creds, reason string }{
		{"totp not otpauth", totp("https://example.com/?secret=JBSWY3DPEHPK3PXPJBSWY3DP"), "totp_url is not an otpauth://totp/ URL"},
		{"totp hotp", totp("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP&counter=1"), "otpauth://totp/"},
		{"totp short secret", totp("otpauth://totp/x?secret=JBSWY3DP"), "base32 of at least 10 bytes"},
		{"totp bad base32", totp("otpauth://totp/x?secret=0189018901890189"), "base32"},
		{"totp no secret", totp("otpauth://totp/x?issuer=a"), "base32"},
		{"totp seven digits", totp("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP&digits=7"), "digits"},
		{"totp empty", `{"totp":{"config":{}}}`, "totp_url is required"},
		{"totp unknown field", `{"totp":{"config":{"totp_url":"otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP","extra":1}}}`, "credentials.totp.config"},
		{"totp config a string", `{"totp":{"config":"otpauth://totp/x"}}`, "credentials.totp.config"},
		{"totp huge url", totp("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=" + strings.Repeat("a", 5000)), "longer than"},
		{"lookup bad salt", lookup("zz", `{"hash":"`+hash+`"}`), "salt"},
		{"lookup no codes", lookup("0011223344556677", ``), "1 to 100 codes"},
		{"lookup too many codes", lookup("0011223344556677", many), "1 to 100 codes"},
		{"lookup bad hash", lookup("0011223344556677", `{"hash":"abc"}`), "recovery_codes[0].hash"},
		{"lookup upper-case hash", lookup("0011223344556677", `{"hash":"`+strings.ToUpper(hash)+`"}`), "recovery_codes[0].hash"},
		{"lookup code twice", lookup("0011223344556677", `{"hash":"`+hash+`"},{"hash":"`+hash+`"}`), "recovery_codes[1] is given twice"},
		{"lookup plain code", lookup("0011223344556677", `{"code":"abc"}`), "credentials.lookup_secret.config"},
		{"webauthn no keys", `{"webauthn":{"config":{"credentials":[]}}}`, "1 to 100 keys"},
		{"webauthn bad public key", keyConfig("webauthn", id, base64.StdEncoding.EncodeToString([]byte("not cose")), handle), "credentials[0].public_key"},
		{"webauthn no id", keyConfig("webauthn", "", pub, handle), "credentials[0].id"},
		{"webauthn long handle", keyConfig("webauthn", id, pub, base64.StdEncoding.EncodeToString(make([]byte, 65))), "user_handle"},
		{"webauthn id twice", `{"webauthn":{"config":{"credentials":[{"id":"` + id + `","public_key":"` + pub + `"},{"id":"` + id + `","public_key":"` + pub + `"}]}}}`, "credentials[1].id is given twice"},
		{"webauthn not json object", `{"webauthn":{"config":[1]}}`, "credentials.webauthn.config"},
		{"passkey without handle", keyConfig("passkey", id, pub, ""), "credentials.passkey.config: user_handle"},
		// Unknown fields are refused as for totp and lookup_secret, at every level of the config.
		{"webauthn unknown field", `{"webauthn":{"config":{"credentials":[{"id":"` + id + `","public_key":"` + pub + `"}],"user_handle":"` + handle + `","extra":1}}}`, "credentials.webauthn.config"},
		{"passkey unknown key field", `{"passkey":{"config":{"credentials":[{"id":"` + id + `","public_key":"` + pub + `","counter":7}],"user_handle":"` + handle + `"}}}`, "credentials.passkey.config"},
		{"webauthn unknown authenticator field", `{"webauthn":{"config":{"credentials":[{"id":"` + id + `","public_key":"` + pub + `","authenticator":{"sign_count":1,"attachment":"usb"}}]}}}`, "credentials.webauthn.config"},
		{"saml", `{"saml":{"config":{}}}`, "saml"},
		{"unknown member", `{"totp":{"config":null,"identifiers":[]}}`, "unknown field"},
	}
	c := s.Native(t)
	for i, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			res := c.PostJSON(s.AdminURL("/admin/identities"), json.RawMessage(createWith(fmt.Sprintf("r%d@example.com", i), r.creds)))
			var e struct {
				Error struct {
					Code   int    `json:"code"`
					Status string `json:"status"`
					Reason string `json:"reason"`
				} `json:"error"`
			}
			res.JSON(t, &e)
			if res.StatusCode != http.StatusBadRequest || e.Error.Code != 400 || e.Error.Status != "Bad Request" || !strings.Contains(e.Error.Reason, r.reason) {
				t.Fatalf("%d %s, want 400 with %q", res.StatusCode, res.Body, r.reason)
			}
		})
	}
	if res := c.Get(s.AdminURL("/admin/identities")); strings.TrimSpace(string(res.Body)) != "[]" {
		t.Fatalf("a refused create stored an identity: %s", res.Body)
	}

	// Second factors come only with a new identity: PUT refuses them.
	res := c.PostJSON(s.AdminURL("/admin/identities"), json.RawMessage(createWith("put@example.com", `{}`)))
	var made struct{ ID string }
	res.JSON(t, &made)
	put := c.Do(http.MethodPut, s.AdminURL("/admin/identities/"+made.ID), strings.NewReader(
		`{"schema_id":"default","state":"active","traits":{"email":"put@example.com"},"credentials":`+totp("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP")+`}`),
		http.Header{"Content-Type": {"application/json"}})
	if put.StatusCode != http.StatusBadRequest || !strings.Contains(string(put.Body), "only when an identity is created") {
		t.Fatalf("PUT with totp: %d %s", put.StatusCode, put.Body)
	}
	// Nor are provider accounts linked by a PUT: refused, not silently dropped.
	put = c.Do(http.MethodPut, s.AdminURL("/admin/identities/"+made.ID), strings.NewReader(
		`{"schema_id":"default","state":"active","traits":{"email":"put@example.com"},"credentials":{"oidc":{"config":{"providers":[{"provider":"github","subject":"1"}]}}}}`),
		http.Header{"Content-Type": {"application/json"}})
	if put.StatusCode != http.StatusBadRequest || !strings.Contains(string(put.Body), "Importing oidc credentials is supported only when an identity is created") {
		t.Fatalf("PUT with oidc: %d %s", put.StatusCode, put.Body)
	}
}

// TestCreateImportedKeyTaken: 100 identities imported at once with the same WebAuthn credential
// id: one is created, every other is refused with 409, so that one authenticator answer never
// signs in to two accounts; the same id as another identity's passkey is refused too.
func TestCreateImportedKeyTaken(t *testing.T) {
	s := apptest.Start(t)
	pub := coseKey(t)
	id := base64.StdEncoding.EncodeToString([]byte("one-authenticator-key"))
	const n = 100
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "handle-%d", i))
			res := s.Native(t).PostJSON(s.AdminURL("/admin/identities"),
				json.RawMessage(createWith(fmt.Sprintf("k%d@example.com", i), keyConfig("webauthn", id, pub, handle))))
			codes[i] = res.StatusCode
		}()
	}
	wg.Wait()
	created := 0
	for i, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Fatalf("create %d: %d", i, c)
		}
	}
	if created != 1 {
		t.Fatalf("%d identities hold the same key, want 1", created)
	}
	res := s.Native(t).PostJSON(s.AdminURL("/admin/identities"),
		json.RawMessage(createWith("pk@example.com", keyConfig("passkey", id, pub, base64.StdEncoding.EncodeToString([]byte("pk"))))))
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("the key as another identity's passkey: %d %s", res.StatusCode, res.Body)
	}
	res = s.Native(t).PostJSON(s.AdminURL("/admin/identities"),
		json.RawMessage(createWith("pk@example.com", keyConfig("passkey", base64.StdEncoding.EncodeToString([]byte("other")), pub, base64.StdEncoding.EncodeToString([]byte("pk"))))))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("a passkey of its own: %d %s", res.StatusCode, res.Body)
	}
}
