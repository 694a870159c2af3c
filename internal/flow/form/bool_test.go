package form

import "testing"

func TestValuesBool(t *testing.T) {
	v := Values{"t": true, "f": false, "s": "true", "one": "1", "on": "on", "no": "false", "n": "yes",
		"list": []any{"true", "true"}, "obj": map[string]any{"x": "on"}}
	for path, want := range map[string]bool{"t": true, "f": false, "s": true, "one": true, "on": true,
		"no": false, "n": false, "list": false, "missing": false, "obj": false, "obj.x": true} {
		if got := v.Bool(path); got != want {
			t.Errorf("Bool(%q) = %v, want %v", path, got, want)
		}
	}
}
