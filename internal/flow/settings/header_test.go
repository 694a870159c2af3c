package settings

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

// TestHeaderIsEncodingJSONs: appendHeader writes what json.Marshal writes and parseHeader
// reads what json.Unmarshal reads, for headers of every shape (with a parked change, nodes
// shown once, negative offsets, none or many secret nodes).
func TestHeaderIsEncodingJSONs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	reader := uuid.New()
	for n := range 2000 {
		h := privateHeader{V: privateVersion, DataLen: r.IntN(1 << 20)}
		if n%7 == 0 {
			h.Pending = uuid.NewString()
		}
		if n%11 == 0 {
			h.Pending = "odd \"pending\" <&>\n"
		}
		for range r.IntN(5) {
			m := secretMeta{Index: r.IntN(40), Len: r.IntN(9000), At: r.IntN(20000) - 1}
			switch r.IntN(9) {
			case 0:
				m.Once = true
			case 1:
				m.Once, m.Reader = true, &reader
			}
			h.Secrets = append(h.Secrets, m)
		}
		want, err := json.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendHeader(nil, &h)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("appendHeader\n%s\njson.Marshal\n%s", got, want)
		}
		var back privateHeader
		if err := parseHeader(got, &back); err != nil {
			t.Fatalf("parseHeader %s: %v", got, err)
		}
		if !reflect.DeepEqual(back, h) {
			t.Fatalf("parseHeader %s: %+v, want %+v", got, back, h)
		}
	}
}

// FuzzParseHeader: parseHeader agrees with json.Unmarshal on any input.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		`{"v":2,"d":0}`, `{"v":2,"s":[{"i":1,"l":20,"a":-1}],"d":77}`, `{"v":2,"s":[{"i":1,"l":20,"a":3},{"i":2,"l":2,"a":9}],"d":9}`,
		`{"v":2,"p":"x","d":1}`, `{"v":2, "d":1}`, `{"v":02,"d":1}`, `{"v":2,"d":1}x`, `{"v":2,"s":[],"d":1}`,
		`{"v":2,"d":99999999999999999999}`, `{"V":2,"d":1}`, `{"v":-0,"d":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want privateHeader
		gotErr := parseHeader(b, &got)
		wantErr := json.Unmarshal(b, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: parseHeader error %v, json.Unmarshal error %v", b, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parseHeader %+v, json.Unmarshal %+v", b, got, want)
		}
	})
}

// BenchmarkPrivateHeader compares the hand-written header codec with encoding/json on the
// common shape (a flow with a TOTP key: two secret nodes), both ways.
func BenchmarkPrivateHeader(b *testing.B) {
	h := privateHeader{V: privateVersion, DataLen: 5123, Secrets: []secretMeta{{Index: 7, Len: 32, At: 1811}, {Index: 8, Len: 2400, At: 2207}}}
	raw, err := json.Marshal(&h)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("append/hand", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 128)
		for b.Loop() {
			if _, err := appendHeader(buf[:0], &h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append/encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 128)
		for b.Loop() {
			out, err := json.Marshal(&h)
			if err != nil {
				b.Fatal(err)
			}
			buf = append(buf[:0], out...)
		}
	})
	b.Run("parse/hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got privateHeader
			if err := parseHeader(raw, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse/encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got privateHeader
			if err := json.Unmarshal(raw, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}
