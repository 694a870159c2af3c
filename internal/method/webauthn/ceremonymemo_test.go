package webauthn

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	lib "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// TestCeremonyTemplateIsTheLibrarysCeremony: a ceremony filled in from an identity version's
// template is what the library begins, but for what must be new in each ceremony (the
// challenge, a passkey's first user handle, the expiry counted from now); its session data is
// encoding/json's own encoding of the value it decodes to; a new version begins anew.
func TestCeremonyTemplateIsTheLibrarysCeremony(t *testing.T) {
	rp, err := NewRelyingParty(RPOptions{ID: "localhost", DisplayName: "Portico test", Origins: []string{"http://localhost:4433"}})
	if err != nil {
		t.Fatal(err)
	}
	key := Key{ID: []byte("key-one-id-bytes"), PublicKey: []byte{1, 2, 3}, DisplayName: "mine", Transports: []string{"usb"}}
	for _, tc := range []struct {
		name    string
		variant Variant
		cfg     Config
		newOne  bool // a new user handle in each ceremony
	}{
		{"webauthn", WebAuthnVariant, Config{}, false},
		{"webauthn with a key", WebAuthnVariant, Config{UserHandle: []byte("0123456789abcdef"), Credentials: []Key{key}}, false},
		{"passkey first", PasskeyVariant, Config{}, true},
		{"passkey with a key", PasskeyVariant, Config{UserHandle: bytes.Repeat([]byte{7}, 32), Credentials: []Key{key}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Settings{Variant: tc.variant, RP: rp, Public: &url.URL{Scheme: "http", Host: "localhost:4433"}, Now: time.Now}
			ident := &identity.Identity{ID: uuid.New(), Version: 3, Traits: json.RawMessage(`{}`)}
			c1, s1, err := m.ceremonyJSON(ident, &tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if m.ceremonies.get(ident.ID, ident.Version) == nil {
				t.Fatal("the ceremony's template was not remembered")
			}
			before := time.Now()
			c2, s2, err := m.ceremonyJSON(ident, &tc.cfg)
			after := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			var sd1, sd2 lib.SessionData
			if err := json.Unmarshal(s1, &sd1); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(s2, &sd2); err != nil {
				t.Fatalf("filled-in session data %s: %v", s2, err)
			}
			if again, _ := json.Marshal(&sd2); !bytes.Equal(again, s2) {
				t.Errorf("filled-in session data\n%s\nis not encoding/json's\n%s", s2, again)
			}
			if sd2.Challenge == sd1.Challenge || len(sd2.Challenge) != len(sd1.Challenge) {
				t.Errorf("challenge %q after %q: not a new one of the same size", sd2.Challenge, sd1.Challenge)
			}
			if newHandle := !bytes.Equal(sd1.UserID, sd2.UserID); newHandle != tc.newOne {
				t.Errorf("new user handle %v, want %v", newHandle, tc.newOne)
			}
			if lo, hi := before.Add(ceremonyTimeout), after.Add(ceremonyTimeout); sd2.Expires.Before(lo.Truncate(time.Microsecond)) || sd2.Expires.After(hi) {
				t.Errorf("expires %v, want between %v and %v", sd2.Expires, lo, hi)
			}

			// With the first ceremony's own values put in, the second is the first.
			var o1, o2 map[string]any
			if err := json.Unmarshal(c1, &o1); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(c2, &o2); err != nil {
				t.Fatalf("filled-in options %s: %v", c2, err)
			}
			pk2, pk1 := o2["publicKey"].(map[string]any), o1["publicKey"].(map[string]any)
			if pk2["challenge"] != sd2.Challenge {
				t.Errorf("options challenge %v, session %q", pk2["challenge"], sd2.Challenge)
			}
			pk2["challenge"] = pk1["challenge"]
			pk2["user"].(map[string]any)["id"] = pk1["user"].(map[string]any)["id"]
			if !reflect.DeepEqual(o1, o2) {
				t.Errorf("options differ beyond challenge and handle:\n%s\n%s", c1, c2)
			}
			sd2.Challenge, sd2.UserID, sd2.Expires = sd1.Challenge, sd1.UserID, sd1.Expires
			if !reflect.DeepEqual(sd1, sd2) {
				t.Errorf("session data differ beyond challenge, handle and expiry:\n%s\n%s", s1, s2)
			}

			// A new version (here: one more key) begins anew.
			ident.Version++
			cfg := tc.cfg
			cfg.Credentials = append(append([]Key(nil), cfg.Credentials...), Key{ID: []byte("key-two-id-bytes"), PublicKey: []byte{4}})
			c3, _, err := m.ceremonyJSON(ident, &cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(c3, []byte(`"a2V5LXR3by1pZC1ieXRlcw"`)) {
				t.Errorf("the new version's options do not exclude its new key: %s", c3)
			}
		})
	}
}

// TestCeremonyMemoIsBounded: the memo forgets identities past its bound, and never remembers
// an unstored identity (version 0).
func TestCeremonyMemoIsBounded(t *testing.T) {
	rp, err := NewRelyingParty(RPOptions{ID: "localhost", DisplayName: "Portico test", Origins: []string{"http://localhost:4433"}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Settings{Variant: PasskeyVariant, RP: rp, Public: &url.URL{Scheme: "http", Host: "localhost"}, Now: time.Now}
	fresh := &identity.Identity{ID: uuid.New(), Traits: json.RawMessage(`{}`)}
	if _, _, err := m.ceremonyJSON(fresh, &Config{}); err != nil {
		t.Fatal(err)
	}
	if m.ceremonies.Len() != 0 {
		t.Error("an unstored identity's ceremony was remembered")
	}
	for range ceremonyMemoMax + 10 {
		if _, _, err := m.ceremonyJSON(&identity.Identity{ID: uuid.New(), Version: 1, Traits: json.RawMessage(`{}`)}, &Config{}); err != nil {
			t.Fatal(err)
		}
	}
	if m.ceremonies.Len() > ceremonyMemoMax {
		t.Errorf("%d ceremonies remembered, at most %d", m.ceremonies.Len(), ceremonyMemoMax)
	}
}

// ceremonyJSON is Settings.ceremony's creation options alone, as bytes.
func (m *Settings) ceremonyJSON(ident *identity.Identity, cfg *Config) ([]byte, []byte, error) {
	c, s, err := m.ceremony(ident, cfg, "", "")
	return []byte(c), s, err
}

// TestCeremonyWrapped checks that the creation options come between before and after, the
// same way whether the library began the ceremony or its template was filled in.
func TestCeremonyWrapped(t *testing.T) {
	rp, err := NewRelyingParty(RPOptions{ID: "localhost", DisplayName: "Portico test", Origins: []string{"http://localhost:4433"}})
	if err != nil {
		t.Fatal(err)
	}
	m := &Settings{Variant: PasskeyVariant, RP: rp, Public: &url.URL{Scheme: "http", Host: "localhost:4433"}, Now: time.Now}
	ident := &identity.Identity{ID: uuid.New(), Version: 2, Traits: json.RawMessage(`{}`)}
	for _, how := range []string{"begun by the library", "filled in from the template"} {
		got, _, err := m.ceremony(ident, &Config{}, "window.go(", ")")
		if err != nil {
			t.Fatal(err)
		}
		if m.ceremonies.get(ident.ID, ident.Version) == nil {
			t.Fatalf("%s: the template was not remembered", how)
		}
		inner, ok := strings.CutPrefix(got, "window.go(")
		if !ok || !strings.HasSuffix(inner, ")") {
			t.Fatalf("%s: %.40q… is not wrapped", how, got)
		}
		var opts struct {
			PublicKey struct {
				Challenge string `json:"challenge"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSuffix(inner, ")")), &opts); err != nil || opts.PublicKey.Challenge == "" {
			t.Fatalf("%s: options %v, challenge %q", how, err, opts.PublicKey.Challenge)
		}
	}
}
