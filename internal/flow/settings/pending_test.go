package settings

import (
	"bytes"
	"testing"
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
	b := Body{}
	setPath(b, []string{"traits", "name", "first"}, "Ada")
	setPath(b, []string{"traits", "email"}, "a@example.com")
	tr := b.Object("traits")
	if tr["email"] != "a@example.com" || tr["name"].(map[string]any)["first"] != "Ada" {
		t.Errorf("body %v", b)
	}
}
