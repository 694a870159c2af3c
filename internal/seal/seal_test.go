package seal_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/seal"
)

func TestSealOpenRotatePurposeAndOwner(t *testing.T) {
	old := seal.New(seal.PurposeSettingsFlow, []string{"old-secret-old-secret-old-secret"})
	sealed, err := old.Seal([]byte(`{"password":"x"}`), []byte("flow-1"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "password") {
		t.Fatalf("not encrypted: %s", sealed)
	}
	rotated := seal.New(seal.PurposeSettingsFlow, []string{"new-secret-new-secret-new-secret", "", "old-secret-old-secret-old-secret"})
	if got, err := rotated.Open(sealed, []byte("flow-1")); err != nil || string(got) != `{"password":"x"}` {
		t.Fatalf("rotated open = %q, %v", got, err)
	}
	for name, tc := range map[string]struct {
		s   *seal.Sealer
		aad string
		val string
	}{
		"other owner":   {rotated, "flow-2", sealed},
		"other purpose": {seal.New(seal.PurposeLookupCodes, []string{"old-secret-old-secret-old-secret"}), "flow-1", sealed},
		"other secret":  {seal.New(seal.PurposeSettingsFlow, []string{"other"}), "flow-1", sealed},
		"no secret":     {seal.New(seal.PurposeSettingsFlow, nil), "flow-1", sealed},
		"nil sealer":    {nil, "flow-1", sealed},
		"truncated":     {old, "flow-1", sealed[:10]},
		"not base64":    {old, "flow-1", "%%%"},
		"flipped":       {old, "flow-1", flip(sealed)},
	} {
		if _, err := tc.s.Open(tc.val, []byte(tc.aad)); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: open = %v, want ErrOpen", name, err)
		}
		if out, err := tc.s.AppendOpen([]byte("dst"), []byte(tc.val), []byte(tc.aad)); !errors.Is(err, seal.ErrOpen) || string(out) != "dst" {
			t.Errorf("%s: append open = %q, %v, want dst unchanged and ErrOpen", name, out, err)
		}
	}
	if _, err := seal.New(seal.PurposeSettingsFlow, nil).Seal([]byte("x"), nil); !errors.Is(err, seal.ErrNoKey) {
		t.Fatalf("seal without a secret = %v", err)
	}
	a, _ := old.Seal([]byte("same"), nil)
	b, _ := old.Seal([]byte("same"), nil)
	if a == b {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
}

// TestOpensValuesSealedBeforeThisPackage: recovery codes sealed into credentials by the
// earlier per-package sealers (same derivation: SHA-256 of purpose, NUL, secret) still open.
func TestOpensValuesSealedBeforeThisPackage(t *testing.T) {
	const secret = "a-cipher-secret-of-32-characters"
	key := sha256.Sum256([]byte("portico lookup secrets\x00" + secret))
	block, _ := aes.NewCipher(key[:])
	a, _ := cipher.NewGCM(block)
	nonce := make([]byte, a.NonceSize())
	legacy := base64.RawURLEncoding.EncodeToString(a.Seal(nonce, nonce, []byte(`["code"]`), []byte("id")))
	got, err := seal.New(seal.PurposeLookupCodes, []string{secret}).Open(legacy, []byte("id"))
	if err != nil || string(got) != `["code"]` {
		t.Fatalf("legacy open = %q, %v", got, err)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[len(b)-2] == 'A' {
		b[len(b)-2] = 'B'
	} else {
		b[len(b)-2] = 'A'
	}
	return string(b)
}

func TestSealJSON(t *testing.T) {
	s := seal.New(seal.PurposeLookupCodes, []string{"a-cipher-secret-of-32-characters"})
	sealed, err := s.SealJSON([]string{"abc123", "def456"}, []byte("identity-1"))
	if err != nil || strings.Contains(sealed, "abc123") {
		t.Fatalf("sealed %q, %v", sealed, err)
	}
	var got []string
	if err := s.OpenJSON(sealed, []byte("identity-1"), &got); err != nil || len(got) != 2 || got[1] != "def456" {
		t.Fatalf("open = %v, %v", got, err)
	}
	if err := s.OpenJSON(sealed, []byte("identity-2"), &got); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("other owner = %v", err)
	}
	notJSON, _ := s.Seal([]byte("not json"), nil)
	if err := s.OpenJSON(notJSON, nil, &got); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("not JSON = %v", err)
	}
	if _, err := seal.New(seal.PurposeLookupCodes, nil).SealJSON([]string{"x"}, nil); !errors.Is(err, seal.ErrNoKey) {
		t.Fatalf("no key = %v", err)
	}
}

// TestAppendSeal: AppendSeal appends to dst exactly what Seal returns (it opens the same way,
// bound to the same owner), and without a key appends nothing.
func TestAppendSeal(t *testing.T) {
	s := seal.New(seal.PurposeSettingsFlow, []string{"secret-one"})
	out, err := s.AppendSeal([]byte("prefix:"), []byte("plain"), []byte("owner"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, ok := strings.CutPrefix(string(out), "prefix:")
	if !ok {
		t.Fatalf("dst not kept: %q", out)
	}
	if plain, err := s.Open(sealed, []byte("owner")); err != nil || string(plain) != "plain" {
		t.Fatalf("open: %q %v", plain, err)
	}
	if _, err := s.Open(sealed, []byte("other")); err == nil {
		t.Fatal("opened for another owner")
	}
	if out, err := seal.New(seal.PurposeSettingsFlow, nil).AppendSeal([]byte("x"), []byte("plain"), nil); !errors.Is(err, seal.ErrNoKey) || string(out) != "x" {
		t.Fatalf("without a key: %q %v", out, err)
	}
}

// TestAppendOpen: AppendOpen appends to dst what Open returns, whether dst has the room or not,
// and with rotated secrets the key that fails first leaves the value whole for the next (GCM
// clears what it wrote: the plaintext must not be written over the value it opens).
func TestAppendOpen(t *testing.T) {
	old := seal.New(seal.PurposeSettingsFlow, []string{"old-secret-old-secret-old-secret"})
	plain := strings.Repeat(`{"node":"a QR code"}`, 200)
	sealed, err := old.Seal([]byte(plain), []byte("flow-1"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := seal.New(seal.PurposeSettingsFlow, []string{"new-secret-new-secret-new-secret", "old-secret-old-secret-old-secret"})
	for _, s := range []*seal.Sealer{old, rotated} {
		for _, dst := range [][]byte{nil, []byte("prefix:"), append(make([]byte, 0, 2*len(sealed)), "roomy:"...)} {
			prefix := string(dst)
			out, err := s.AppendOpen(dst, []byte(sealed), []byte("flow-1"))
			if err != nil {
				t.Fatalf("append open after %q: %v", prefix, err)
			}
			if string(out) != prefix+plain {
				t.Fatalf("append open after %q = %.40q…, want the prefix and the plaintext", prefix, out)
			}
		}
	}
	if _, err := rotated.AppendOpen(nil, []byte(sealed), []byte("flow-2")); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("opened for another owner: %v", err)
	}
}
