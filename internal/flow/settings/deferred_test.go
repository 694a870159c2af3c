package settings_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/portico-auth/portico/internal/apptest/mfatest"
)

// TestProfileSubmissionKeepsTheSecretNodes: a profile submission reads the flow without
// decoding the TOTP key and recovery-code nodes (they stay sealed and encoded), yet a refused
// submission shows and stores them where they were, and a success's fresh flow offers the same
// key: the flow's nodes, their order and the key never change under a profile submission.
func TestProfileSubmissionKeepsTheSecretNodes(t *testing.T) {
	fx := newFixture(t, withSecondFactors...)
	c := fx.native(t)
	r := c.Get(fx.url("/self-service/settings/api"))
	wantStatus(t, r, http.StatusOK)
	var created map[string]any
	r.JSON(t, &created)
	id := mfatest.Str(created, "id")
	names, qr := mfatest.Names(created), mfatest.Str(mfatest.Node(created, "totp", "totp_qr"), "attributes", "src")
	if qr == "" {
		t.Fatalf("no TOTP QR code offered: %v", names)
	}
	same := func(step string, f map[string]any) {
		t.Helper()
		if got := mfatest.Names(f); !reflect.DeepEqual(got, names) {
			t.Errorf("%s: nodes %v, want %v", step, got, names)
		}
		if got := mfatest.Str(mfatest.Node(f, "totp", "totp_qr"), "attributes", "src"); got != qr {
			t.Errorf("%s: another QR code", step)
		}
	}
	read := func() map[string]any {
		t.Helper()
		r := c.Get(fx.url("/self-service/settings/flows?id=" + id))
		wantStatus(t, r, http.StatusOK)
		var f map[string]any
		r.JSON(t, &f)
		return f
	}

	r = c.PostJSON(fx.url("/self-service/settings?flow="+id), map[string]any{"method": "profile", "traits": map[string]any{"email": "not an address"}})
	wantStatus(t, r, http.StatusBadRequest)
	var refused map[string]any
	r.JSON(t, &refused)
	same("refused", refused)
	same("read after refused", read())

	for i, first := range []string{"Ada", "Grace"} {
		r = c.PostJSON(fx.url("/self-service/settings?flow="+id), map[string]any{"method": "profile",
			"traits": map[string]any{"email": "a@example.com", "name": map[string]any{"first": first}}})
		wantStatus(t, r, http.StatusOK)
		var done map[string]any
		r.JSON(t, &done)
		if mfatest.Str(done, "state") != "success" {
			t.Fatalf("success %d: state %q", i, mfatest.Str(done, "state"))
		}
		same("success", done)
		same("read after success", read())
	}
}
