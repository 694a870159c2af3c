package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
)

var small = httpx.Limits{MaxDepth: 3, MaxFields: 4, MaxNameBytes: 5, MaxStringBytes: 8}

func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

func TestCheckJSON(t *testing.T) {
	tests := []struct {
		doc string
		ok  bool
	}{
		{`{"a":{"b":[1]}}`, true},
		{`{"a":{"b":[[1]]}}`, false}, // depth 4
		{nested(3), true},
		{nested(4), false},
		{`{"a":1,"b":2,"c":3,"d":4}`, true},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5}`, false},
		{`[1,2,3,4]`, true},
		{`[1,2,3,4,5]`, false},
		{`[[],[],{},""]`, true},
		{`{"a":[1,2],"b":3}`, true}, // 2 keys + 2 elements
		{`{"a":[1,2,3],"b":3}`, false},
		{`{"abcde":1}`, true},
		{`{"abcdef":1}`, false},
		{`["12345678"]`, true},
		{`["123456789"]`, false},
		{`[12345]`, true},
		{`[123456]`, false},
		{`["\"\\"]`, true},
		{`["\u00e9"]`, true},
		{`["\ud83d\ude00"]`, false}, // fine as text, but 12 bytes as sent
		{`["\u0000"]`, false},
		{`["\ud83d"]`, false},
		{`["\ude00"]`, false},
		{`["\ud83dx"]`, false},
		{"[\"\xff\"]", false},
		{`{"\u0000":1}`, false},
		{`["\\u0000"]`, true}, // an escaped backslash, then plain text
		{` { "a" : [ 1 , { "b" : null } ] } `, true},
	}
	for _, tt := range tests {
		err := small.CheckJSON([]byte(tt.doc))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.doc, err, tt.ok)
		}
		if err != nil && !errors.Is(err, apierr.ErrBadRequest) {
			t.Errorf("%s: %v is not a bad request", tt.doc, err)
		}
	}
	// The surrogate pair itself is accepted when strings may be long enough.
	if err := httpx.DefaultLimits.CheckJSON([]byte(`["\ud83d\ude00"]`)); err != nil {
		t.Errorf("surrogate pair: %v", err)
	}
	if err := httpx.DefaultLimits.CheckJSON([]byte(nested(32))); err != nil {
		t.Errorf("depth 32: %v", err)
	}
	if err := httpx.DefaultLimits.CheckJSON([]byte(nested(33))); err == nil {
		t.Error("depth 33 accepted")
	}
}

func TestCheckForm(t *testing.T) {
	tests := []struct {
		form string
		ok   bool
	}{
		{"a.b.c=1", true},
		{"a.b.c.d=1", false}, // four segments
		{"a=1&b=2&c=3&d=4", true},
		{"a=1&b=2&c=3&d=4&e=5", false},
		{"a.b=1&c.d=2", true}, // four segments in all
		{"a.b=1&c.d=2&e=3", false},
		{"a=1&a=2&a=3&a=4", true},
		{"a=1&a=2&a=3&a=4&a=5", false},
		{"abcde=1", true},
		{"abcdef=1", false},
		{"a=12345678", true},
		{"a=123456789", false},
		{"a=%00", false},
		{"%00=1", false},
		{"a=%ff", false},
		{"a=%c3%a9", true},
		{"x" + strings.Repeat(".", 1000) + "=1", false},
	}
	for _, tt := range tests {
		v, err := url.ParseQuery(tt.form)
		if err != nil {
			t.Fatal(err)
		}
		if err := small.CheckForm(v); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.form, err, tt.ok)
		}
	}
}

// measure returns the depth and the members plus elements of a decoded JSON value.
func measure(v any) (depth, fields int) {
	switch x := v.(type) {
	case map[string]any:
		d := 0
		for _, e := range x {
			ed, ef := measure(e)
			d, fields = max(d, ed), fields+ef+1
		}
		return d + 1, fields
	case []any:
		d := 0
		for _, e := range x {
			ed, ef := measure(e)
			d, fields = max(d, ed), fields+ef+1
		}
		return d + 1, fields
	}
	return 0, 0
}

// FuzzCheckJSON: no document the decoder accepts gets past CheckJSON deeper or with more
// fields than the limits, or decoding to a string that holds NUL.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c"}]}`, nested(5), `["\u0000"]`, `{"a":{"b":{"c":1}}}`, `[[],[[]],{}]`, `{"x":"\ud83d\ude00"}`} {
		f.Add([]byte(s))
	}
	lim := httpx.Limits{MaxDepth: 4, MaxFields: 6, MaxNameBytes: 1 << 20, MaxStringBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&v); err != nil {
			return
		}
		depth, fields := measure(v)
		err := lim.CheckJSON(data)
		if err == nil && (depth > lim.MaxDepth || fields > lim.MaxFields) {
			t.Fatalf("%q accepted with depth %d, %d fields", data, depth, fields)
		}
		if err == nil && bytes.Contains(mustMarshal(v), []byte(`\u0000`)) {
			t.Fatalf("%q accepted with a NUL", data)
		}
	})
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
