package settings

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
)

// Body is a decoded submission. JSON bodies keep their structure; form fields are folded into
// nested objects by their dot paths ("traits.name.first" → {"traits":{"name":{"first":…}}}),
// so methods read both the same way. Form values stay strings.
type Body map[string]any

// String returns the string at key, or "".
func (b Body) String(key string) string {
	s, _ := b[key].(string)
	return s
}

// Object returns the object at key, or nil.
func (b Body) Object(key string) map[string]any {
	m, _ := b[key].(map[string]any)
	return m
}

// IsForm reports whether the submission came from an HTML form.
func (b Body) IsForm() bool {
	_, ok := b[formMarker]
	return ok
}

// formMarker flags bodies decoded from a form; it cannot collide with a form field because
// field names never contain a NUL byte.
const formMarker = "\x00form"

func isJSONContent(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// decodeBody reads a JSON or form submission.
func decodeBody(r *http.Request) (Body, error) {
	if isJSONContent(r) {
		var m map[string]any
		if err := httpx.DecodeJSON(r, &m); err != nil {
			return nil, err
		}
		if m == nil {
			m = map[string]any{}
		}
		return Body(m), nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, httpx.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, apierr.ErrBadRequest.WithReason("Unable to parse the form body.").WithCause(err)
	}
	// The shared bound, on the raw names, before setPath nests anything.
	if err := httpx.DefaultLimits.CheckForm(r.PostForm); err != nil {
		return nil, err
	}
	b := Body{formMarker: true}
	for key, vals := range r.PostForm {
		if len(vals) == 0 {
			continue
		}
		var v any = vals[0]
		if len(vals) > 1 {
			all := make([]any, len(vals))
			for i, s := range vals {
				all[i] = s
			}
			v = all
		}
		setPath(b, strings.Split(key, "."), v)
	}
	return b, nil
}

func setPath(m map[string]any, parts []string, v any) {
	for i, p := range parts {
		if i == len(parts)-1 {
			m[p] = v
			return
		}
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
}

// encode returns the body as JSON (for parking a pending submission).
func (b Body) encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(map[string]any(b)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeStoredBody(data []byte) (Body, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return Body(m), nil
}
