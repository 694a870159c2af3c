package totp_test

import (
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest/mfatest"
)

// TestFlowsShareTheirKeyForAWhile: the settings flows one identity starts within a few
// minutes offer the same key (its QR code drawn once), and each flow's QR code scans to the
// otpauth URI of the key that flow links; another identity, a stored change of the identity
// (linking and unlinking an app) and the end of the window each bring a new key.
func TestFlowsShareTheirKeyForAWhile(t *testing.T) {
	s := start(t)
	p := mfatest.SignIn(t, s, "spa", s.CreateIdentity(t, "window@example.com", password))
	q := mfatest.SignIn(t, s, "native", s.CreateIdentity(t, "other@example.com", password))
	offered := func(p *mfatest.Party) (map[string]any, string) {
		t.Helper()
		_, f := p.StartSettings()
		if f == nil {
			t.Fatal("no settings flow")
		}
		secret := secretOf(t, f)
		for _, g := range []map[string]any{f, p.Flow("settings", mfatest.Str(f, "id"))} {
			if k := scanQR(t, g); k.Secret() != secret || k.Issuer() != "Portico Test" {
				t.Fatalf("QR holds secret %q issuer %q, flow shows %q", k.Secret(), k.Issuer(), secret)
			}
		}
		return f, secret
	}
	f1, first := offered(p)
	s.Clock.Advance(time.Minute)
	f2, second := offered(p)
	if second != first {
		t.Fatal("two flows of one identity within the window offer different keys")
	}
	if src := mfatest.Str(mfatest.Node(f2, "totp", "totp_qr"), "attributes", "src"); src != mfatest.Str(mfatest.Node(f1, "totp", "totp_qr"), "attributes", "src") {
		t.Error("the shared key's QR code was drawn differently")
	}
	if _, other := offered(q); other == first {
		t.Fatal("two identities offered one key")
	}

	// Linked from the first flow (its stored key is the one shown), then unlinked: the key
	// is not offered again.
	_, done := p.Submit("settings", f1, map[string]any{"method": "totp", "totp_code": code(t, first, s.Clock.Now())})
	if mfatest.Str(done, "state") != "success" || mfatest.Node(done, "totp", "totp_unlink") == nil {
		t.Fatalf("link: %v %v", mfatest.Str(done, "state"), mfatest.Names(done))
	}
	_, f3 := p.StartSettings()
	_, done = p.Submit("settings", f3, map[string]any{"totp_unlink": true})
	if mfatest.Str(done, "state") != "success" {
		t.Fatalf("unlink: %v %v", mfatest.Str(done, "state"), mfatest.MessageTexts(done))
	}
	_, third := offered(p)
	if third == first {
		t.Fatal("a key linked and unlinked is offered again")
	}

	// The window ends: a new key.
	s.Clock.Advance(6 * time.Minute)
	if _, fourth := offered(p); fourth == third {
		t.Fatal("the key is still offered after the window")
	}
}

// TestKeyCarriedOverASuccess: a successful profile change answers with a fresh flow (as Kratos
// does); that flow offers the key the submitted flow offered (its QR code scanning to it), even
// though the identity's change would otherwise bring a new key, and the key links from it.
func TestKeyCarriedOverASuccess(t *testing.T) {
	s := start(t)
	p := mfatest.SignIn(t, s, "native", s.CreateIdentity(t, "carry@example.com", password))
	_, f := p.StartSettings()
	secret := secretOf(t, f)
	res, done := p.Submit("settings", f, map[string]any{"method": "profile",
		"traits": map[string]any{"email": "carry@example.com", "name": map[string]any{"first": "Ada"}}})
	if mfatest.Str(done, "state") != "success" {
		t.Fatalf("profile change: %d %s", res.StatusCode, res.Body)
	}
	if got := secretOf(t, done); got != secret {
		t.Fatalf("after a profile change the flow offers %q, want the submitted flow's %q", got, secret)
	}
	if k := scanQR(t, done); k.Secret() != secret {
		t.Fatalf("QR holds %q, want %q", k.Secret(), secret)
	}
	// A flow started afresh offers a new key: the identity changed.
	if _, g := p.StartSettings(); secretOf(t, g) == secret {
		t.Fatal("a new flow after the identity changed offers the old key")
	}
	// The success reply's form posts to the fresh flow, which links the carried key.
	_, linked := p.Submit("settings", done, map[string]any{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
	if mfatest.Str(linked, "state") != "success" || mfatest.Node(linked, "totp", "totp_unlink") == nil {
		t.Fatalf("link from the fresh flow: %v %v", mfatest.Str(linked, "state"), mfatest.MessageTexts(linked))
	}
}
