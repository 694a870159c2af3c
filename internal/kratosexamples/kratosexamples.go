package kratosexamples

import (
	"embed"
	"testing"
)

//go:embed recorded
var recorded embed.FS

// Read returns the recorded file name (e.g. "whoami-200.json") or fails the test.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := recorded.ReadFile("recorded/" + name)
	if err != nil {
		t.Fatalf("recorded Kratos reply %q: %v", name, err)
	}
	return b
}
