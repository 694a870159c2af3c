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

// Files lists the names of the recorded files, so that a test can check it compares each.
func Files() ([]string, error) {
	entries, err := recorded.ReadDir("recorded")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}
