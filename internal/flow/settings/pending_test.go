package settings

import (
	"bytes"
	"testing"

	"github.com/portico-auth/portico/internal/flow/form"
)

func TestSealerRoundTripAndRotation(t *testing.T) {
	old := newSealer([]string{"old-secret-old-secret-old-secret"})
	sealed, err := old.seal([]byte(`{"password":"x"}`), []byte("flow-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains([]byte(sealed), []byte("password")) {
		t.Fatal("sealed text shows the plain text")
	}
	rotated := newSealer([]string{"new-secret-new-secret-new-secret", "old-secret-old-secret-old-secret"})
	plain, err := rotated.open(sealed, []byte("flow-1"))
	if err != nil || string(plain) != `{"password":"x"}` {
		t.Fatalf("open after rotation: %q %v", plain, err)
	}
	if _, err := rotated.open(sealed, []byte("flow-2")); err == nil {
		t.Error("opened with another flow's id")
	}
	if _, err := newSealer([]string{"other-secret-other-secret-other!"}).open(sealed, []byte("flow-1")); err == nil {
		t.Error("opened with another secret")
	}
	if _, err := newSealer(nil).seal([]byte("x"), nil); err == nil {
		t.Error("sealed without a secret")
	}
}

func TestDecodeFormBodyNests(t *testing.T) {
	b := form.Values{}
	b.Set("traits.name.first", "Ada")
	b.Set("traits.email", "a@example.com")
	tr := b.Object("traits")
	if tr["email"] != "a@example.com" || tr["name"].(map[string]any)["first"] != "Ada" {
		t.Errorf("body %v", b)
	}
}
