package profile

import (
	"testing"
)

func TestValueAt(t *testing.T) {
	traits := map[string]any{"name": map[string]any{"first": "Ada"}, "email": "a@example.com"}
	for path, want := range map[string]any{
		"traits.name.first": "Ada", "traits.email": "a@example.com", "traits.name.last": nil, "traits.email.x": nil,
	} {
		if got := valueAt(traits, path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}
