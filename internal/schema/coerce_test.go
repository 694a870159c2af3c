package schema

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
)

func TestCoerceForm(t *testing.T) {
	doc := `{"type":"object","properties":{"traits":{"type":"object","properties":{
		"email":{"type":"string","format":"email"},
		"age":{"type":"integer"},
		"height":{"type":"number"},
		"newsletter":{"type":"boolean"},
		"tags":{"type":"array","items":{"type":"string"}},
		"name":{"type":"object","properties":{"first":{"type":"string"},"nick":{"type":"string"}}}
	},"required":["email"]}}}`
	reg, err := NewRegistry(context.Background(), []Source{{ID: "t", URL: "base64://" + base64.StdEncoding.EncodeToString([]byte(doc))}}, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := reg.Default()
	traits := map[string]any{
		"email": "a@example.com", "age": "42", "height": "1.75", "newsletter": "on",
		"tags": "x", "name": map[string]any{"first": "Ada", "nick": ""},
	}
	s.CoerceForm(traits)
	got, _ := json.Marshal(traits)
	want := `{"age":42,"email":"a@example.com","height":1.75,"name":{"first":"Ada"},"newsletter":true,"tags":["x"]}`
	if string(got) != want {
		t.Fatalf("coerced %s\nwant     %s", got, want)
	}
	if err := s.ValidateTraits(got); err != nil {
		t.Fatalf("coerced traits do not validate: %v", err)
	}
	// An empty required value stays, for validation to report as missing or malformed.
	required := map[string]any{"email": ""}
	s.CoerceForm(required)
	if v, ok := required["email"]; !ok || v != "" {
		t.Fatalf("empty required value dropped: %v", required)
	}
	// What does not convert stays a string, for validation to report.
	bad := map[string]any{"email": "a@example.com", "age": "forty", "newsletter": "maybe"}
	s.CoerceForm(bad)
	if bad["age"] != "forty" || bad["newsletter"] != "maybe" {
		t.Fatalf("unconvertible values changed: %v", bad)
	}
	raw, _ := json.Marshal(bad)
	if s.ValidateTraits(raw) == nil {
		t.Fatal("unconvertible values validated")
	}
}
