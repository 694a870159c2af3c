package settings

import (
	"encoding/json"
	"strconv"
)

// The private column's header (privateHeader) is written and read on every created and every
// served flow; through encoding/json's reflection its decoding was 6% of serving a flow with a
// TOTP key. Headers of the common shape (no parked change, no node shown once) are written and
// read here by hand, to the byte what encoding/json writes; any other header goes through
// encoding/json both ways, so the two never disagree on a header either can read
// (TestHeaderIsEncodingJSONs, FuzzParseHeader).
//
// Kept by hand on purpose (review of 2026-12-06, bench/results/settings-header-2026-12-06.md):
// on the common shape encoding/json took 5-8 times as long both ways (append 570-1160 ns and
// 1 allocation against 76-126 ns and none; parse 3.2-4.3 µs and 10 allocations against
// 0.53-0.66 µs and 2), encoding/json/v2 still needs GOEXPERIMENT=jsonv2 in Go 1.26, and a
// third-party codec (a new dependency, or generated code) for a 100-line header was not
// worth it.

// appendHeader appends h's JSON as json.Marshal writes it.
func appendHeader(out []byte, h *privateHeader) ([]byte, error) {
	if h.Pending != "" || !plainSecrets(h.Secrets) {
		b, err := json.Marshal(h)
		if err != nil {
			return nil, err
		}
		return append(out, b...), nil
	}
	out = append(out, `{"v":`...)
	out = strconv.AppendInt(out, int64(h.V), 10)
	if len(h.Secrets) > 0 {
		out = append(out, `,"s":[`...)
		for i, m := range h.Secrets {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"i":`...)
			out = strconv.AppendInt(out, int64(m.Index), 10)
			out = append(out, `,"l":`...)
			out = strconv.AppendInt(out, int64(m.Len), 10)
			out = append(out, `,"a":`...)
			out = strconv.AppendInt(out, int64(m.At), 10)
			out = append(out, '}')
		}
		out = append(out, ']')
	}
	out = append(out, `,"d":`...)
	out = strconv.AppendInt(out, int64(h.DataLen), 10)
	return append(out, '}'), nil
}

func plainSecrets(s []secretMeta) bool {
	for _, m := range s {
		if m.Once || m.Reader != nil {
			return false
		}
	}
	return true
}

// parseHeader reads a header: the common shape appendHeader writes by hand, anything else
// with encoding/json.
func parseHeader(b []byte, h *privateHeader) error {
	if parsePlainHeader(b, h) {
		return nil
	}
	*h = privateHeader{}
	return json.Unmarshal(b, h)
}

// parsePlainHeader reads a header of exactly the shape appendHeader writes by hand and
// reports whether b was one.
func parsePlainHeader(b []byte, h *privateHeader) bool {
	p := headerParser{b: b}
	if !p.lit(`{"v":`) || !p.int(&h.V) {
		return false
	}
	h.Pending, h.Secrets = "", nil
	if p.lit(`,"s":[`) {
		h.Secrets = make([]secretMeta, 0, 4)
		for {
			var m secretMeta
			if !p.lit(`{"i":`) || !p.int(&m.Index) || !p.lit(`,"l":`) || !p.int(&m.Len) ||
				!p.lit(`,"a":`) || !p.int(&m.At) || !p.lit(`}`) {
				return false
			}
			h.Secrets = append(h.Secrets, m)
			if p.lit(`]`) {
				break
			}
			if !p.lit(`,`) {
				return false
			}
		}
	}
	return p.lit(`,"d":`) && p.int(&h.DataLen) && p.lit(`}`) && p.i == len(b)
}

type headerParser struct {
	b []byte
	i int
}

// lit consumes s if it comes next.
func (p *headerParser) lit(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// int consumes an integer as encoding/json writes one (optional minus, no leading zero).
func (p *headerParser) int(v *int) bool {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' && p.i-digits < 18 {
		p.i++
	}
	if p.i == digits || (p.b[digits] == '0' && p.i-digits > 1) {
		return false
	}
	n, err := strconv.Atoi(string(p.b[start:p.i]))
	if err != nil {
		return false
	}
	*v = n
	return true
}
